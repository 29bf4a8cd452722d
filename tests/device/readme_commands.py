"""The shell commands README.md shows, for the tests that run them as written (device tests here,
host-side ones in tests/e2e/test_readme_host.py)."""
from __future__ import annotations

import shlex
from pathlib import Path

README = Path(__file__).parents[2] / "README.md"
# What a command needs that a test machine cannot have; such commands are not run.
NEEDS = {
    "--source 0": "a USB camera",
    "picamera2": "a Raspberry Pi camera",
    "broker.lan": "an MQTT broker on your network",
    "sudo ": "root on the device",
    "python3 -m venv": "setting up a Pi",
    "pip install": "setting up a Pi",
    "--config agent.yaml": "the reader's own config file naming their camera",
    "nano ": "an editor",
    "systemctl ": "systemd as PID 1",
    "journalctl ": "systemd as PID 1",
    "git clone ": "the reader's copy of the repository",
    "./run ": "the set-up commands themselves: CI runs ./run test, the demo is ./run demo",
    "UCF101": "the UCF101 dataset, downloaded by hand (6.5 GB)",
    "ucfTrainTestlist/": "the UCF101 dataset, downloaded by hand (6.5 GB)",
    "UCF-101/": "the UCF101 dataset, downloaded by hand (6.5 GB)",
    "ucf101_bundle/": "a model trained on UCF101",
}
HOST = ("har-synth dataset ", "har-synth skeletons ", "har-train ", "har-convert ")
KEYPOINT_DATA = "skeletons/"  # the folder of "Bring your own keypoint data"
DEVICE = ("har-agent ", "har-bench ")


def readme_commands() -> list[str]:
    """The commands of the README's ```bash blocks: continuation lines joined, comments dropped."""
    commands, block, pending = [], False, ""
    for line in README.read_text().splitlines():
        if line.startswith("```"):
            block = line == "```bash" and not block
            continue
        if not block or not line.strip():
            continue
        pending += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            words = shlex.split(pending, comments=True)
            if words:
                commands.append(shlex.join(words))
            pending = ""
    return commands


def needs_more(command: str) -> bool:
    """Whether `command` needs something a test machine lacks (see NEEDS)."""
    return any(need in command for need in NEEDS)


def reads_keypoints(command: str) -> bool:
    """Whether `command` is one of the keypoint section's (they run together, in their own test)."""
    return KEYPOINT_DATA in command


def runnable(prefixes: tuple[str, ...]) -> list[str]:
    """The commands starting with one of `prefixes` that need nothing a test machine lacks."""
    return [command for command in readme_commands()
            if command.startswith(prefixes) and not needs_more(command)]
