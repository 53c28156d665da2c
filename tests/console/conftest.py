"""The console in a real browser: Debian's chromium driven by Playwright's async API, against `vssd demo` started
as a user starts it (a child process) on a scratch database of the machine's PostgreSQL. One demo serves the whole
session; each test launches its own browser on the test's loop (the sync API cannot share the main thread with
pytest-asyncio's loops), so each test also has its own sessionStorage.

Waits are on what the page shows (`expect`, `wait_for_function`), never on time passing: the demo's calls flow on
their own, so a test watches for the transition it needs rather than scripting one.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from playwright.async_api import Page, async_playwright

from tests.conftest import require_service, require_tool, service_up
from tests.demo_process import running_demo, stop
from tests.pg import SERVER

PORTS = {"BASE": "http://127.0.0.1:3000"}  # set by the demo fixture to the ports it chose
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ADMIN = ("admin", "admin123")
READY_TIMEOUT_S = 90.0


def _admin_sql(sql: str) -> None:
    """One statement on the server's `test` database, on a loop of its own in a thread (pytest-asyncio may have
    a loop running around session fixtures)."""
    async def run() -> None:
        conn = await asyncpg.connect(f"{SERVER}/test")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


def _free_block(size: int) -> int:
    """A first port with `size` free ports after it (the demo's API, and its simulators' protocol and control
    ports), so the console's demo never meets a `vssd demo` someone runs on the standard ports."""
    for _ in range(200):
        first = random.randrange(20000, 60000)  # noqa: S311 (not cryptographic)
        if not any(service_up(first + i) for i in range(size)):
            return first
    raise AssertionError("no free block of loopback ports")


def base() -> str:
    return PORTS["BASE"]


def _ready() -> bool:
    try:
        with urllib.request.urlopen(f"{base()}/health/ready", timeout=2) as resp:  # noqa: S310 (loopback only)
            return bool(json.loads(resp.read()).get("ready"))
    except (OSError, urllib.error.URLError, ValueError):
        return False


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running `vssd demo` (24 simulated slots, campaigns flowing); its base URL."""
    require_service("PostgreSQL", 5432)
    require_tool("chromium")
    first = _free_block(5)
    name = f"vssd_console_{uuid.uuid4().hex[:10]}"
    _admin_sql(f'CREATE DATABASE "{name}"')
    state = tmp_path_factory.mktemp("console-demo")
    # Every test logs in (the documented 5 logins a minute would stop the third) and all of them as few users
    # within a minute or two: the limits are the API tests' concern, not the console's.
    env = dict(os.environ, VSSD_DATABASE_URL=f"{SERVER}/{name}", VSSD_STATE_DIR=str(state),
               VSSD_RATE_LIMITS__AUTH_PER_MINUTE="10000", VSSD_RATE_LIMITS__API_PER_MINUTE="100000",
               VSSD_RATE_LIMITS__DASHBOARD_PER_MINUTE="100000",
               VSSD_HTTP__LISTEN=json.dumps([{"host": "127.0.0.1", "port": first}]),
               VSSD_ADB__PORT=str(first + 2), VSSD_AMI__PORT=str(first + 3))
    PORTS["BASE"] = f"http://127.0.0.1:{first}"
    try:
        with running_demo(env, state / "demo.log") as proc:
            deadline = time.monotonic() + READY_TIMEOUT_S
            while not _ready():
                assert proc.poll() is None, (state / "demo.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "the demo did not become ready"
                time.sleep(0.2)
            yield base()
            assert stop(proc) == 0, "the demo stopped cleanly after the console's tests"
    finally:
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class PageErrors:
    """What the page said went wrong: uncaught exceptions and 5xx answers (a test asserts there are none)."""

    def __init__(self, page: Page) -> None:
        self.items: list[str] = []
        page.on("pageerror", lambda err: self.items.append(f"pageerror: {err}"))
        page.on("response", lambda r: r.status >= 500 and self.items.append(f"HTTP {r.status} {r.url}"))


@pytest.fixture
async def page(demo: str) -> AsyncIterator[Page]:
    """A fresh browser (a supervisor's screen, the browser's timezone Moscow, Russian locale); not logged in."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="ru-RU",
                                                timezone_id="Europe/Moscow")
            context.set_default_timeout(20_000)
            tab = await context.new_page()
            errors = PageErrors(tab)
            yield tab
            assert not errors.items, errors.items
        finally:
            await browser.close()


async def login(page: Page, user: tuple[str, str] = ADMIN, path: str = "/") -> Page:
    await page.goto(base() + path)
    await page.fill("input[name=username]", user[0])
    await page.fill("input[name=password]", user[1])
    await page.keyboard.press("Enter")
    await page.wait_for_selector("[data-testid=who]")
    return page


async def shot(page: Page, name: str) -> Path:
    """Save a screenshot under build/screenshots/ (the README shows two of them)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    await page.screenshot(path=str(path))
    return path


async def api(method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
    """The API as a script would call it (urllib, in a thread)."""
    return await asyncio.to_thread(_api, method, path, token, body)


def _api(method: str, path: str, token: str | None, body: Any) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base() + path, data=data, method=method)  # noqa: S310 (loopback only)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 (loopback only)
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, json.loads(raw) if raw else None


async def token_for(user: tuple[str, str] = ADMIN) -> str:
    status, body = await api("POST", "/api/auth/login", body={"username": user[0], "password": user[1]})
    assert status == 200, body
    return body["access_token"]
