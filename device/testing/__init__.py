"""Helpers for tests, benchmarks and the demo, not for the agent: a private mosquitto on a loopback
port, scoring an agent run against a scripted scene's ground truth, real footage of people who do
not fall (pinned, fetched once) and the committed pose bundle completed with the cached BlazePose
files.

May import: anything in `har_device`; nothing imports it at run time on a device.
"""
