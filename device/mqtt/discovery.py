"""Home Assistant MQTT discovery: the agent appears as one device with four entities.

- `event` "Action": fires on each event start, `event_type` = the label (the model's labels are
  the `event_types`). HA wants `{"event_type": …}`; the template maps our payload to that and maps
  `update`/`end` messages to `{}`, which HA ignores.
- `binary_sensor` "Person down", device class `safety` (on = unsafe), from the retained `state`.
- diagnostic `sensor`s for the frame rate and the median inference time, from `stats`.

All share the agent's availability topic, so HA greys them out when the agent's last will fires.
The configs are retained and sent again whenever HA announces `online` on its status topic (it
forgets entities on restart unless told again); anything else on that topic is ignored.
"""
from __future__ import annotations

from typing import Any

from har_device import __version__
from har_device.mqtt.topics import OFFLINE, ONLINE, Topics

EVENT_TEMPLATE = (
    "{% if value_json.type == 'start' %}"
    '{"event_type": "{{ value_json.label }}", "event_id": "{{ value_json.event_id }}", '
    '"score": {{ value_json.score }}, "start_time": "{{ value_json.start_time }}"}'
    "{% else %}{}{% endif %}")


def status_topic(ha_prefix: str) -> str:
    return f"{ha_prefix}/status"


def is_ha_online(payload: bytes) -> bool:
    """True only for HA's own `online` announcement; garbage and `offline` are ignored."""
    try:
        return payload.decode("utf-8").strip() == ONLINE
    except UnicodeDecodeError:
        return False


def discovery_messages(ha_prefix: str, topics: Topics, model_name: str,
                       labels: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """(config topic, retained config payload) for every entity of this agent."""
    node = f"har_{topics.device_id}"
    common = {
        "availability_topic": topics.availability,
        "payload_available": ONLINE,
        "payload_not_available": OFFLINE,
        "device": {"identifiers": [f"har-edge-{topics.device_id}"],
                   "name": f"har-edge {topics.device_id}", "manufacturer": "har-edge",
                   "model": model_name, "sw_version": __version__},
        "origin": {"name": "har-edge", "sw_version": __version__},
    }
    entities: dict[tuple[str, str], dict[str, Any]] = {
        ("event", "action"): {
            "name": "Action", "state_topic": topics.events, "event_types": list(labels),
            "value_template": EVENT_TEMPLATE, "qos": 1},
        ("binary_sensor", "person_down"): {
            "name": "Person down", "state_topic": topics.state, "device_class": "safety",
            "value_template": "{{ 'ON' if value_json.person_down else 'OFF' }}", "qos": 1},
        ("sensor", "fps"): {
            "name": "Frame rate", "state_topic": topics.stats, "unit_of_measurement": "fps",
            "value_template": "{{ value_json.fps }}", "state_class": "measurement",
            "entity_category": "diagnostic"},
        ("sensor", "inference_ms"): {
            "name": "Inference time", "state_topic": topics.stats, "unit_of_measurement": "ms",
            "device_class": "duration", "value_template": "{{ value_json.inference_ms.p50 }}",
            "state_class": "measurement", "entity_category": "diagnostic"},
    }
    return [(f"{ha_prefix}/{component}/{node}/{object_id}/config",
             {**common, **config, "unique_id": f"{node}_{object_id}"})
            for (component, object_id), config in entities.items()]
