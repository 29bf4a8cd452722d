"""README's Raspberry Pi OS Bookworm install keeps apt's numpy-1 extensions importing; the plain
`pip install '.[device]'` does not (issue: picamera2's simplejpeg, "numpy.dtype size changed").

Debian 12's own Python (3.11.2, the Python of Raspberry Pi OS Bookworm) with apt's python3-numpy
(1.24) and python3-scipy stands in for the Pi: scipy.ndimage is an apt C extension built against
numpy 1.x, as simplejpeg is. Two real venvs with --system-site-packages: one installed with the
README's Bookworm command as written (then the agent runs on a rendered video), one with the plain
extra, where the import must break — so the README cannot drift back to the plain command.
`har-agent doctor` in each venv reads apt's real numpy: OK in the first, FAIL in the second.
Installs from pip's cache take about 20 s each.
"""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "device"))
from readme_commands import readme_commands  # noqa: E402 - the device tests' README parser

REPO = Path(__file__).parents[2]
TINY = REPO / "tests" / "fixtures" / "tiny_bundle"
SYSTEM_PYTHON = Path("/usr/bin/python3")
APT_PACKAGES = ["python3-numpy", "python3-scipy", "python3-venv"]
PROBE = "import numpy, scipy.ndimage; print(numpy.__version__, numpy.__file__)"


def _apt_scipy_imports() -> bool:
    return subprocess.run([str(SYSTEM_PYTHON), "-c", PROBE], capture_output=True).returncode == 0


def _apt_install() -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *APT_PACKAGES],
                   check=True, capture_output=True, env=env)


@pytest.fixture(scope="module")
def debian_python() -> Path:
    """Debian 12's Python with apt's numpy and scipy, installed with apt-get when we are root."""
    version = subprocess.run([str(SYSTEM_PYTHON), "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True).stdout.strip() \
        if SYSTEM_PYTHON.exists() else ""
    if version != "(3, 11)":
        pytest.skip(f"{SYSTEM_PYTHON} is not Debian 12's Python 3.11 (found {version or 'none'})")
    if not _apt_scipy_imports():
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            pytest.skip("apt's numpy and scipy are missing and this is not root with apt-get: "
                        f"sudo apt-get install {' '.join(APT_PACKAGES)}")
        _apt_install()
    numpy_version = subprocess.run([str(SYSTEM_PYTHON), "-c", PROBE], capture_output=True,
                                   text=True, check=True).stdout.split()[0]
    assert numpy_version.startswith("1."), f"apt's numpy is {numpy_version}, not Bookworm's 1.x"
    return SYSTEM_PYTHON


def bookworm_command() -> list[str]:
    """The README's one pip line with the Bookworm constraints, without `.venv-device/bin/pip`."""
    lines = [c for c in readme_commands() if "constraints/bookworm.txt" in c and " install " in c]
    assert len(lines) == 1, f"README must show one Bookworm pip command, found {lines}"
    program, *args = shlex.split(lines[0])
    assert program == ".venv-device/bin/pip", lines[0]
    return args


def venv_with(python: Path, folder: Path, pip_args: list[str]) -> Path:
    """A --system-site-packages venv of `python`, installed with `pip *pip_args` in the repo."""
    subprocess.run([str(python), "-m", "venv", "--system-site-packages", str(folder)], check=True)
    done = subprocess.run([str(folder / "bin" / "pip"), *pip_args, "--quiet",
                           "--disable-pip-version-check"], cwd=REPO, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return folder / "bin"


def probe(bin_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(bin_dir / "python"), "-c", PROBE], capture_output=True, text=True)


def run_doctor(bin_dir: Path, video: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(bin_dir / "har-agent"), "doctor", "--bundle", str(TINY),
                           "--source", str(video)], capture_output=True, text=True, timeout=120)


def row(table: str, check: str) -> str:
    return next(line for line in table.splitlines() if line.startswith(f"{check} "))


def test_readme_bookworm_install_keeps_apt_extensions_and_runs_the_agent(
        debian_python: Path, tmp_path: Path) -> None:
    bin_dir = venv_with(debian_python, tmp_path / "bookworm", bookworm_command())
    imported = probe(bin_dir)
    assert imported.returncode == 0, imported.stderr[-2000:]
    assert imported.stdout.startswith("1."), imported.stdout
    video = tmp_path / "clip.mp4"
    subprocess.run([str(bin_dir / "har-synth"), "video", str(video), "--script", "walk:1,fall:1",
                    "--fps", "8", "--size", "64", "--seed", "3"], check=True, capture_output=True)
    run = subprocess.run([str(bin_dir / "har-agent"), "run", "--bundle", str(TINY), "--source",
                          str(video), "--max-frames", "10"], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "10 frames in" in run.stderr
    doctor = run_doctor(bin_dir, video)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "sees apt's packages" in row(doctor.stdout, "python")
    assert "(apt's: 1." in row(doctor.stdout, "numpy") and " OK " in row(doctor.stdout, "numpy")


def test_plain_device_extra_breaks_apt_extensions(debian_python: Path, tmp_path: Path) -> None:
    bin_dir = venv_with(debian_python, tmp_path / "plain", ["install", "-e", ".[device]"])
    broken = probe(bin_dir)
    assert broken.returncode != 0
    assert "numpy.core.multiarray failed to import" in broken.stderr, broken.stderr[-2000:]
    doctor = run_doctor(bin_dir, tmp_path / "no-such-clip.mp4")
    assert doctor.returncode == 1
    assert " FAIL " in row(doctor.stdout, "numpy") and "constraints/bookworm.txt" in doctor.stdout
