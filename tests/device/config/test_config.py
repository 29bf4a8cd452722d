"""The agent config: schema checks with the field and line named, overrides, event settings."""
from __future__ import annotations

from pathlib import Path

import pytest

from har_device.config.schema import load_config
from har_device.core.bundle import default_event_settings
from har_device.core.errors import BadInput

LABELS = ["fall", "walk", "sit", "bend", "wave", "idle"]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.yaml"
    path.write_text(text)
    return path


def test_a_full_config_loads_and_the_command_line_wins(tmp_path: Path) -> None:
    path = write(tmp_path, "bundle: /b\nsource: \"synthetic:\"\nstride: 2\ndevice_id: hall\n"
                           "events:\n  fall:\n    enter: 0.7\n")
    config = load_config(path, {"stride": 4, "source": None})
    assert config.stride == 4 and config.source == "synthetic:" and config.device_id == "hall"
    settings = config.event_settings(default_event_settings(LABELS))
    assert settings["fall"].enter == 0.7 and settings["fall"].latch
    assert settings["walk"].enter == 0.6


def test_unknown_key_names_field_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bundle: /b\nsource: 0\nstrdie: 2\n")
    with pytest.raises(BadInput, match=r"agent.yaml:3: field 'strdie': Extra inputs"):
        load_config(path, {})


def test_nested_error_names_the_nested_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bundle: /b\nevents:\n  fall:\n    enter: 2.5\n")
    with pytest.raises(BadInput, match=r"agent.yaml:4: field 'events.fall.enter'"):
        load_config(path, {})


def test_malformed_yaml_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bundle: [unclosed\n")
    with pytest.raises(BadInput, match="not valid YAML"):
        load_config(path, {})


def test_missing_model_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no model"):
        load_config(None, {})
    with pytest.raises(BadInput, match="cannot read the config"):
        load_config(tmp_path / "absent.yaml", {})


def test_event_overrides_for_unknown_labels_or_inverted_thresholds(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "bundle: /b\nevents:\n  jump: {enter: 0.5}\n"), {})
    with pytest.raises(BadInput, match="unknown label"):
        config.event_settings(default_event_settings(LABELS))
    config = load_config(write(tmp_path, "bundle: /b\nevents:\n  fall: {exit: 0.9}\n"), {})
    with pytest.raises(BadInput, match="exit threshold"):
        config.event_settings(default_event_settings(LABELS))


def test_min_person_height_is_a_fraction_of_the_frame(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "bundle: /b\nmin_person_height: 0.1\n"), {}) \
        .min_person_height == 0.1
    with pytest.raises(BadInput, match=r"agent.yaml:2: field 'min_person_height'"):
        load_config(write(tmp_path, "bundle: /b\nmin_person_height: 1.5\n"), {})
