"""The agent's loop and what it is made of: the runners of the bundle's modes (clip, streaming,
frame), the event engine, the event sinks and the per-frame latency log.

May import: `har_device.core`, `har_device.config`, `har_device.sources`.
"""
