"""The agent's configuration: one YAML file validated against a schema (unknown keys rejected,
errors name the field), every field overridable on the command line; `reference` prints the
documented reference of every field.

May import: `har_device.core`, pydantic, PyYAML.
"""
