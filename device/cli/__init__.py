"""The device's commands (`har-agent`, `har-bench`, `har-synth`): thin click layers over the
packages, and `entry.run_cli`, which turns the error contract into one line and an exit code for
every har-edge command. The only part of `har_device` that imports click.
"""
