"""The host's commands (`har-convert`, `har-train`, and `./run demo`): thin click layers over the
pipeline and the packages. With `har_device.cli`, the only place that imports click.
"""
