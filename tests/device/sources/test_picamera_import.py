"""picamera2's import fails in more ways than a missing module; each becomes one line with the
cause and the fix, exit 2. The failing packages stand in for apt's picamera2 and its simplejpeg,
which cannot exist here; they raise what the real ones raise."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from har_device.core.errors import BadInput
from har_device.sources import open_source

TINY = Path(__file__).parents[2] / "fixtures" / "tiny_bundle"
AGENT = str(Path(sys.executable).with_name("har-agent"))
# numpy 2 importing an extension built for numpy 1, as picamera2 issues #1088/#1170 report, and
# numpy 1 importing one built for numpy 2.
FAILURES = {
    "dtype": ("ValueError", "numpy.dtype size changed, may indicate binary incompatibility. "
                            "Expected 96 from C header, got 88 from PyObject"),
    "multiarray": ("ImportError", "numpy.core.multiarray failed to import"),
    "other": ("RuntimeError", "libcamera: no IPA module found"),
}


def fake_picamera2(site: Path, exception: str, message: str) -> Path:
    """A picamera2 whose `import simplejpeg` raises like apt's does in a mismatched venv."""
    for name, body in (("picamera2", "import simplejpeg\n"),
                       ("simplejpeg", f"raise {exception}({message!r})\n")):
        (site / name).mkdir(parents=True)
        (site / name / "__init__.py").write_text(body)
    return site


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    for name in ("picamera2", "simplejpeg"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return tmp_path / "site"


@pytest.mark.parametrize("kind", ["dtype", "multiarray"])
def test_numpy_mismatch_names_the_cause_and_the_constraints(site: Path, kind: str) -> None:
    fake_picamera2(site, *FAILURES[kind])
    with pytest.raises(BadInput) as caught:
        open_source("picamera2")
    message = str(caught.value)
    assert "numpy" in message and FAILURES[kind][1][:30] in message
    assert "fix: pip install -c constraints/" in message and "\n" not in message


def test_any_other_failure_still_is_one_line_with_a_fix(site: Path) -> None:
    fake_picamera2(site, *FAILURES["other"])
    with pytest.raises(BadInput, match=r"RuntimeError: libcamera: no IPA module found\); fix: "
                                       r"sudo apt install --reinstall python3-picamera2"):
        open_source("picamera2")


def test_a_missing_dependency_is_named(site: Path) -> None:
    (site / "picamera2").mkdir(parents=True)
    (site / "picamera2" / "__init__.py").write_text("import libcamera\n")
    with pytest.raises(BadInput, match="needs the module 'libcamera'.*python3-libcamera"):
        open_source("picamera2")


def test_the_agent_exits_2_with_one_line(tmp_path: Path) -> None:
    site = fake_picamera2(tmp_path / "site", *FAILURES["dtype"])
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run([AGENT, "run", "--bundle", str(TINY), "--source", "picamera2"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "numpy.dtype size changed" in errors[0]
    assert "Traceback" not in result.stderr
