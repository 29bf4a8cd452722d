"""Every shell command in README.md runs as written, or `readme_commands.NEEDS` says what it needs
that a test machine cannot have. The device commands run here against the demo bundle copied to
`bundle/` and a rendered `clip.mp4`, in a scratch folder; the host-side ones run in
tests/e2e/test_readme_host.py."""
from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from console_scripts import console_script
from readme_commands import DEVICE, HOST, needs_more, readme_commands, runnable

DEMO_BUNDLE = Path(__file__).parents[1] / "fixtures" / "demo_bundle"


def test_every_readme_command_is_run_or_says_what_it_needs() -> None:
    unaccounted = [command for command in readme_commands()
                   if not command.startswith(DEVICE + HOST) and not needs_more(command)]
    assert not unaccounted, f"README commands that no test runs: {unaccounted}"
    assert len(runnable(DEVICE)) >= 5 and len(runnable(HOST)) >= 5


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("readme")
    shutil.copytree(DEMO_BUNDLE, folder / "bundle")
    subprocess.run([console_script("har-synth"), "video", str(folder / "clip.mp4"), "--script",
                    "walk:2,fall:3,idle:2", "--fps", "8", "--size", "112", "--seed", "3"],
                   check=True, capture_output=True)
    return folder


@pytest.mark.parametrize("command", runnable(DEVICE))
def test_device_command_runs_as_written(command: str, scratch: Path) -> None:
    program, *args = shlex.split(command)
    done = subprocess.run([console_script(program), *args], cwd=scratch, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
