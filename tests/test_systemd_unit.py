"""systemd/vssd.service: systemd-analyze accepts it, and the settings the daemon relies on are there."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[1] / "systemd" / "vssd.service"


def parse(text: str) -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key, []).append(value)
    return sections


def test_key_settings() -> None:
    unit = parse(UNIT.read_text())
    service = {k: v[-1] for k, v in unit["Service"].items()}
    assert service["ExecStart"] == "/usr/local/bin/vssd run --config /etc/vssd/vssd.toml"
    expected = {
        "Type": "notify",
        "NotifyAccess": "main",
        "WatchdogSec": "30",
        "Restart": "on-failure",
        "TimeoutStopSec": "30",
        "KillSignal": "SIGTERM",
        "StateDirectory": "vssd",
        "User": "vssd",
        "EnvironmentFile": "-/etc/vssd/vssd.env",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "NoNewPrivileges": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "LockPersonality": "yes",
        "MemoryDenyWriteExecute": "yes",
    }
    assert {k: service.get(k) for k in expected} == expected
    assert "RestartSec" in service
    assert set(service["RestrictAddressFamilies"].split()) == {"AF_UNIX", "AF_INET", "AF_INET6"}
    assert "@system-service" in unit["Service"]["SystemCallFilter"]
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed")
    # The binary is not installed where the unit expects it here; point ExecStart at one that exists.
    copy = tmp_path / "vssd.service"
    copy.write_text(UNIT.read_text().replace("/usr/local/bin/vssd", sys.executable))
    done = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60)
    complaints = [line for line in (done.stdout + done.stderr).splitlines() if "vssd.service" in line]
    assert done.returncode == 0 and complaints == [], done.stdout + done.stderr


def test_systemd_analyze_security_exposure(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed")
    copy = tmp_path / "vssd.service"
    copy.write_text(UNIT.read_text().replace("/usr/local/bin/vssd", sys.executable))
    done = subprocess.run(
        [analyze, "security", "--offline=yes", str(copy)], capture_output=True, text=True, timeout=60
    )
    found = re.search(r"Overall exposure level for vssd\.service: ([\d.]+)", done.stdout + done.stderr)
    if done.returncode != 0 and found is None:
        pytest.skip(f"this systemd-analyze cannot assess units offline: {done.stderr.strip()[:200]}")
    assert found is not None and float(found.group(1)) <= 2.0, done.stdout[-2000:]
