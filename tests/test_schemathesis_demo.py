"""schemathesis over `/openapi.json` against a running `vssd demo` (own PostgreSQL database, rate limits off
by configuration), as admin and as an operator: no 5xx, every answer matches its documented schema.

Excluded operations (each with why):
- `/socket.io/`, `/ws/events`: real-time handshakes, not REST (tests/api/test_api_realtime*.py cover them);
- `POST /api/auth/logout`: revokes the very token the run authenticates with (covered in test_api_auth.py);
- `/docs…`: static Swagger UI files (tests/api/test_api_openapi.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import require_service
from tests.demo_process import running_demo, stop
from tests.pg import scratch_database

PG = "postgresql://postgres@127.0.0.1:5432"
BASE = "http://127.0.0.1:3000"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
EXCLUDED_PATHS = r"^/(socket\.io/|ws/events|docs)|^/api/auth/logout$"
MAX_EXAMPLES = 5


def _call(path: str, body: dict | None = None, token: str | None = None) -> object:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 (loopback only)
        return json.loads(resp.read())


def _wait_ready(timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if _call("/health/ready")["ready"]:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise AssertionError("the demo never became ready")


@pytest.fixture
async def demo_db():
    require_service("PostgreSQL", 5432)
    async with scratch_database("vssd_st_t") as dsn:
        yield dsn


async def test_schemathesis_finds_no_server_error_or_schema_violation(demo_db, tmp_path):
    env = dict(os.environ, VSSD_DATABASE_URL=demo_db, VSSD_STATE_DIR=str(tmp_path),
               VSSD_RATE_LIMITS__ENABLED="false")
    reports = await asyncio.to_thread(_demo_run, env, tmp_path)
    for who, (code, output) in reports.items():
        assert code == 0, f"schemathesis as {who}:\n{output[-6000:]}"


def _demo_run(env: dict[str, str], tmp_path: Path) -> dict[str, tuple[int, str]]:
    """Start the demo, run schemathesis as admin and as an operator, SIGTERM the demo (blocking)."""
    with running_demo(env, tmp_path / "demo.log") as proc:
        _wait_ready(60)
        admin = _call("/api/auth/login", {"username": "admin", "password": "admin123"})["token"]
        _call("/api/users", {"username": "st_operator", "email": "st_operator@example.com",
                             "password": "St-operator-1", "role": "operator", "extension": "5001"}, admin)
        operator = _call("/api/auth/login", {"username": "st_operator", "password": "St-operator-1"})["token"]
        config = _write_config(admin, tmp_path / "schemathesis.toml")
        reports = {who: _schemathesis(token, tmp_path / who, config) for who, token in
                   (("admin", admin), ("operator", operator))}
        assert stop(proc) == 0
        return reports


def _write_config(admin: str, path: Path) -> Path:
    """Real ids for the path parameters (half of the cases), so operations reach their 2xx paths too: the demo's
    slots and calls, a trunk, a throwaway user and a custom role made for the run."""
    target = _call("/api/users", {"username": "st_target", "email": "st_target@example.com",
                                  "password": "St-target-1", "role": "supervisor"}, admin)
    _call("/api/roles", {"name": "st_role", "permissions": ["vssd.slots.read"]}, admin)
    _call("/api/trunks", {"name": "st-trunk", "type": "auto", "capacity": 8}, admin)
    ids = {
        "slot_id": [str(s["id"]) for s in _call("/api/slots", token=admin)],
        "trunk_id": [str(t["id"]) for t in _call("/api/trunks", token=admin)],
        "call_id": [str(c["call_id"]) for c in _call("/api/calls/feed?limit=20", token=admin)] or ["c_1"],
        "user_id": [str(target["id"])],
        "role_id": ["st_role"],
    }
    lines = []
    for name, values in ids.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    lines += [f'"path.{name}" = {{ dictionary = "{name}", probability = 0.5 }}' for name in ids]
    path.write_text("\n".join(lines) + "\n")
    return path


def _schemathesis(token: str, workdir: Path, config: Path) -> tuple[int, str]:
    workdir.mkdir()
    args = [str(SCHEMATHESIS), "--config-file", str(config), "run", f"{BASE}/openapi.json",
            "--checks", "not_a_server_error,response_schema_conformance",
            "--max-examples", str(MAX_EXAMPLES), "--phases", "examples,coverage,fuzzing", "--seed", "4",
            "--exclude-path-regex", EXCLUDED_PATHS, "--workers", "4", "--no-shrink",
            "--header", f"Authorization: Bearer {token}", "--request-timeout", "10"]
    done = subprocess.run(args, cwd=workdir, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, NO_COLOR="1", SCHEMATHESIS_HOOKS=""))
    return done.returncode, done.stdout + done.stderr
