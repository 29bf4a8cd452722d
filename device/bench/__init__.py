"""`har-bench`'s measurements: a model's latency and memory against LiteRT's own benchmark, and
the whole agent pipeline from real frames.

May import: `har_device.core`, `har_device.config`, `har_device.sources`, `har_device.agent`.
"""
