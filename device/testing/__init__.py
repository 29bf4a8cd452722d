"""Helpers for tests, benchmarks and the demo, not for the agent: a private mosquitto on a loopback
port, and scoring an agent run against a scripted scene's ground truth.

May import: anything in `har_device`; nothing imports it at run time on a device.
"""
