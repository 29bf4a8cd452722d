"""`har-agent install-service` into a temporary root: tree, owners, modes, idempotence, the unit's
verification and security score, uninstall; and bad arguments."""
from __future__ import annotations

import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

TINY = Path(__file__).parents[2] / "fixtures" / "tiny_bundle"
AGENT = str(Path(sys.executable).with_name("har-agent"))
UNIT = "etc/systemd/system/har-agent.service"

needs_systemd = pytest.mark.skipif(not shutil.which("systemd-sysusers"),
                                   reason="systemd-sysusers is not installed")


def agent(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([AGENT, *args], capture_output=True, text=True, timeout=60)


def ids(root: Path, user: str = "har") -> tuple[int, int]:
    entry = next(line.split(":") for line in (root / "etc/passwd").read_text().splitlines()
                 if line.startswith(f"{user}:"))
    return int(entry[2]), int(entry[3])


@pytest.fixture()
def installed(tmp_path: Path) -> Path:
    config = tmp_path / "agent.yaml"
    config.write_text(f"bundle: {TINY}\nsource: '0'\ndevice_id: porch\n")
    root = tmp_path / "root"
    root.mkdir()
    result = agent("install-service", "--config", str(config), "--root", str(root))
    assert result.returncode == 0, result.stderr
    return root


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@needs_systemd
def test_install_tree_owners_and_modes(installed: Path) -> None:
    uid, gid = ids(installed)
    group = next(line for line in (installed / "etc/group").read_text().splitlines()
                 if line.startswith("video:"))
    assert group.endswith(":har")
    config = installed / "etc/har-agent/config.yaml"
    assert mode(config) == 0o640 and (config.stat().st_uid, config.stat().st_gid) == (0, gid)
    assert "bundle: /var/lib/har-agent/bundle" in config.read_text()
    assert "device_id: porch" in config.read_text()
    bundle = installed / "var/lib/har-agent/bundle"
    assert sorted(p.name for p in bundle.iterdir()) == sorted(p.name for p in TINY.iterdir())
    assert all((p.stat().st_uid, mode(p)) == (uid, 0o640) for p in bundle.iterdir())
    assert mode(bundle) == 0o750
    unit = (installed / UNIT).read_text()
    assert f"ExecStart={AGENT} run --config /etc/har-agent/config.yaml" in unit
    assert mode(installed / UNIT) == 0o644


@needs_systemd
def test_second_install_changes_nothing(installed: Path, tmp_path: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in installed.rglob("*") if p.is_file()}
    result = agent("install-service", "--config", str(tmp_path / "agent.yaml"), "--root",
                   str(installed))
    assert result.returncode == 0 and "nothing changed" in result.stdout
    assert {p: p.stat().st_mtime_ns for p in installed.rglob("*") if p.is_file()
            and p.name != ".pwd.lock"} == {p: t for p, t in before.items() if p.name != ".pwd.lock"}


@needs_systemd
def test_installed_unit_verifies_and_scores_ok(installed: Path) -> None:
    verify = subprocess.run(["systemd-analyze", "verify", str(installed / UNIT)],
                            capture_output=True, text=True)
    assert verify.returncode == 0 and verify.stderr.strip() == "", verify.stderr
    security = subprocess.run(["systemd-analyze", "security", "--offline=true",
                               str(installed / UNIT)], capture_output=True, text=True)
    found = re.search(r"Overall exposure level for har-agent.service: ([\d.]+) (\w+)",
                      security.stdout)
    assert found, security.stdout[-500:]
    assert float(found.group(1)) <= 2.5 and found.group(2) == "OK"


@needs_systemd
def test_uninstall_keeps_data_unless_purged(installed: Path) -> None:
    result = agent("uninstall-service", "--root", str(installed))
    assert result.returncode == 0, result.stderr
    assert not (installed / UNIT).exists()
    assert (installed / "var/lib/har-agent/bundle/har_model.json").exists()
    assert (installed / "etc/har-agent/config.yaml").exists()
    assert agent("uninstall-service", "--root", str(installed), "--purge").returncode == 0
    assert not (installed / "var/lib/har-agent").exists()
    assert not (installed / "etc/har-agent").exists()


@pytest.mark.parametrize("args, expected", [
    (["--bundle", str(TINY), "--user", "Bad User"], "--user 'Bad User'"),
    (["--bundle", str(TINY), "--root", "/nonexistent/root"], "--root /nonexistent/root"),
    ([], "needs a bundle"),
    (["--bundle", str(Path(__file__).parent)], "no har_model.json"),
])
def test_bad_arguments_exit_2_with_one_line(args: list[str], expected: str, tmp_path) -> None:
    if "--root" not in args:
        args = [*args, "--root", str(tmp_path)]
    result = agent("install-service", *args)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and expected in result.stderr
    assert not (tmp_path / UNIT).exists()
