"""The agent's MQTT side (paho-mqtt 2): the broker link, the persistent outbox and its sender,
the publisher (an event sink and a frame observer), topics, Home Assistant discovery and the
state and stats payloads.

May import: `har_device.core`, `har_device.config`, `har_device.agent` (its types and event
helpers), paho-mqtt.
"""
