"""The `mqtt:` config section: broker URLs, credentials and their redaction, CLI overrides."""
from __future__ import annotations

from pathlib import Path

import pytest

from har_device.config.mqtt import (MqttSettings, default_state_dir, mqtt_overrides,
                                    parse_broker_url)
from har_device.config.schema import load_config
from har_device.core.errors import BadInput
from har_device.mqtt.telemetry import cpu_temperature_c


def test_urls_give_host_port_tls_and_credentials() -> None:
    plain = parse_broker_url("mqtt://broker.lan")
    assert (plain.host, plain.port, plain.tls, plain.username) == ("broker.lan", 1883, False, None)
    secure = parse_broker_url("mqtts://ann:p%40ss@10.0.0.2:8884")
    assert (secure.host, secure.port, secure.tls) == ("10.0.0.2", 8884, True)
    assert (secure.username, secure.password) == ("ann", "p@ss")
    assert secure.redacted() == "mqtts://ann:***@10.0.0.2:8884"


@pytest.mark.parametrize("url", ["http://host", "host:1883", "mqtt://", "mqtt://h:99999",
                                 "mqtt://h/topic"])
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        parse_broker_url(url)


def test_credentials_come_from_the_url_then_the_config_then_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("HAR_MQTT_USERNAME", "env-user")
    monkeypatch.setenv("HAR_MQTT_PASSWORD", "env-secret")
    assert MqttSettings(broker="mqtt://h").credentials() == ("env-user", "env-secret")
    configured = MqttSettings(broker="mqtt://h", username="cfg", password="cfg-secret")
    assert configured.credentials() == ("cfg", "cfg-secret")
    assert "cfg-secret" not in repr(configured)
    assert MqttSettings(broker="mqtt://u:p@h").credentials() == ("u", "p")


def test_the_state_directory_follows_systemd_then_xdg(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STATE_DIRECTORY", f"{tmp_path}/a:{tmp_path}/b")
    assert default_state_dir() == tmp_path / "a"
    monkeypatch.delenv("STATE_DIRECTORY")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert default_state_dir() == tmp_path / "xdg" / "har-agent"
    settings = MqttSettings(broker="mqtt://h", state_dir=tmp_path / "s")
    assert settings.outbox_path("hall") == tmp_path / "s" / "outbox-hall.sqlite"


def test_command_line_options_refine_the_file_section(tmp_path: Path) -> None:
    config = tmp_path / "agent.yaml"
    config.write_text("bundle: /b\nmqtt:\n  broker: mqtt://file-host\n  prefix: home\n"
                      "  protocol: 5\n")
    options = {"stride": 2, "mqtt_broker": None, "mqtt_keepalive_s": 7, "mqtt_prefix": None}
    loaded = load_config(config, mqtt_overrides(options))
    assert loaded.mqtt is not None and loaded.stride == 2
    assert (loaded.mqtt.broker, loaded.mqtt.prefix, loaded.mqtt.keepalive_s,
            loaded.mqtt.protocol) == ("mqtt://file-host", "home", 7, "5")
    assert load_config(None, mqtt_overrides({"bundle": "/b", "mqtt_broker": None})).mqtt is None


def test_a_bad_mqtt_field_names_the_field_and_line(tmp_path: Path) -> None:
    config = tmp_path / "agent.yaml"
    config.write_text("bundle: /b\nmqtt:\n  broker: mqtt://h\n  prefix: 'har/#'\n")
    with pytest.raises(BadInput, match=r"agent.yaml:4: field 'mqtt.prefix'"):
        load_config(config, {})
    with pytest.raises(BadInput, match=r"field 'mqtt.broker': Value error, expected mqtt://"):
        load_config(None, mqtt_overrides({"bundle": "/b", "mqtt_broker": "tcp://h"}))
    with pytest.raises(BadInput, match=r"field 'mqtt.ca_file'.*missing.pem is not a readable"):
        load_config(None, {"bundle": "/b", "mqtt": {"broker": "mqtts://h",
                                                    "ca_file": str(tmp_path / "missing.pem")}})


def test_cpu_temperature_is_the_hottest_readable_zone(tmp_path: Path) -> None:
    assert cpu_temperature_c(tmp_path) is None
    for name, text in {"thermal_zone0": "48312\n", "thermal_zone1": "51000\n",
                       "thermal_zone2": "n/a\n"}.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "temp").write_text(text)
    assert cpu_temperature_c(tmp_path) == 51.0
