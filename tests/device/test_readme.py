"""README.md stays true to the code it documents."""
from __future__ import annotations

from pathlib import Path

from har_device.config.reference import markdown, readme_section

README = Path(__file__).parents[2] / "README.md"


def test_config_reference_is_generated_from_the_schema() -> None:
    assert readme_section(README.read_text()) == markdown(), (
        "README config reference is stale: run python -m har_device.config.reference README.md")


def test_readme_opens_with_the_two_commands() -> None:
    lines = [line for line in README.read_text().splitlines() if line.strip()]
    assert lines[1:5] == ["```bash", lines[2], lines[3], "```"]
    assert lines[2].startswith("./run demo") and lines[3].startswith("./run test")
