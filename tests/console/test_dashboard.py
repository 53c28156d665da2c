"""The Dashboard page (`/dashboard`) in Chromium against the running demo: the cards show the figures the API
gives, the slots by state add up to the farm, and an alert the daemon raises for real (a phone unplugged through
the device simulator's control port → its slot FAULTs → `system.alert`) appears and is acknowledged."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.request

from playwright.async_api import Page, expect

from tests.console.conftest import api, base, login, shot, token_for

TZ = "Europe/Moscow"  # the page fixture's browser time zone: the page asks for its own day
CARDS = {"total": "total_calls_today", "answered": "answered_calls_today", "missed": "missed_calls_today",
         "abandoned": "abandoned_calls_today", "asr": "asr", "acd": "acd"}
READ_CARDS = """() => Object.fromEntries([...document.querySelectorAll('[data-testid^="card-"]')]
  .map((e) => [e.dataset.testid.slice(5), e.dataset.value === "" ? null : Number(e.dataset.value)]))"""
READS_PAST = "(n) => Number(document.querySelector('[data-testid=dashboard]').dataset.reads) > n"
TRIES = 6


def _fault(serial: str, fault: str) -> None:
    """The device simulator's control API; the console's demo puts it one port above the API's (conftest)."""
    control = int(base().rsplit(":", 1)[1]) + 1
    req = urllib.request.Request(f"http://127.0.0.1:{control}/phones/{serial}/fault",  # noqa: S310 (loopback)
                                 data=json.dumps({"fault": fault}).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 (loopback only)
        assert resp.status == 200


async def test_the_cards_show_the_figures_of_the_api_and_the_slots_add_up(page: Page):
    await login(page, path="/dashboard")
    token = await token_for()
    board = page.get_by_test_id("dashboard")
    await expect(board).to_have_attribute("data-period", "today")
    for _ in range(TRIES):
        reads = int(await board.get_attribute("data-reads") or 0)
        shown = await page.evaluate(READ_CARDS)
        status, stats = await api("GET", f"/api/dashboard/stats?period=today&tz={TZ}", token)
        assert status == 200, stats
        want = {card: stats[key] for card, key in CARDS.items()}
        if shown == want:
            break
        # A call started or ended since the page's read: the page re-reads when it hears of it; compare right
        # after that read lands.
        await page.wait_for_function(READS_PAST, arg=reads, timeout=15_000)
    assert shown == want, (shown, want)
    assert want["total"] > 0
    assert re.fullmatch(r"\d{2}:\d{2}|—", (await page.get_by_test_id("card-acd").locator(".value").inner_text()))
    states = page.get_by_test_id("slot-states")
    await expect(states).to_have_attribute("data-total", "24")
    counts = await states.locator("li[data-state]").evaluate_all("(els) => els.map((e) => Number(e.dataset.count))")
    assert sum(counts) == 24
    await page.locator("[data-testid=dash-period] [data-period=week]").click()
    await expect(board).to_have_attribute("data-period", "week")


async def test_an_alert_the_daemon_raises_appears_and_is_acknowledged(page: Page):
    token = await token_for()
    status, slots = await api("GET", "/api/slots?limit=5000", token)
    assert status == 200
    slot = next(s for s in slots if s.get("device_serial"))
    await login(page, path="/dashboard")
    await expect(page.get_by_test_id("alerts")).to_be_visible()
    await asyncio.to_thread(_fault, slot["device_serial"], "unplug")
    try:
        row = page.locator("[data-testid=alert][data-type=slot_fault]").filter(
            has_text=re.compile(rf"#{slot['id']} —")).first
        await expect(row).to_have_attribute("data-acknowledged", "false", timeout=60_000)
        alert_id = await row.get_attribute("data-id")
        assert alert_id
        # Newest first: nothing else was raised since, so the fault heads the list.
        await expect(page.locator("[data-testid=alert]").first).to_have_attribute("data-id", alert_id)
        await shot(page, "dashboard")
        await row.get_by_test_id("alert-ack").click()
        await expect(row).to_have_attribute("data-acknowledged", "true")
        await expect(row).to_contain_text("admin")
        status, acked = await api("GET", "/api/alerts?acknowledged=true&limit=500", token)
        assert status == 200
        mine = next(a for a in acked if a["id"] == alert_id)
        assert mine["acknowledged"] is True and mine["acknowledged_by"] == "admin"
        assert mine["type"] == "slot_fault" and mine["level"] == "warning"
    finally:
        await asyncio.to_thread(_fault, slot["device_serial"], "clear")
