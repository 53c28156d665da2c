"""The operator's workspace (`/workspace`) in Chromium against the running demo: op1001 sets their status (the API
sees it), takes a campaign call the demo bridges to them, writes a note and marks the number do-not-call — and the
note, the disposition and the DNC entry are in the API."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.console.conftest import api, login, shot, token_for

OPERATOR = ("op1001", "demo-1001")


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number)


async def _status_in_api(admin: str, operator_id: str) -> str:
    status, operators = await api("GET", "/api/operators", admin)
    assert status == 200, operators
    return next(o["status"] for o in operators if o["id"] == operator_id)


async def test_an_operator_sets_status_takes_a_call_writes_a_note_and_marks_it_do_not_call(page: Page):
    admin, own = await token_for(), await token_for(OPERATOR)
    _, me = await api("GET", "/api/auth/me", own)
    await login(page, OPERATOR, "/workspace")
    switch = page.get_by_test_id("ws-status")
    await expect(switch).to_have_attribute("data-status", re.compile("online|busy|wrapup"))

    await page.get_by_test_id("ws-status-busy").click()
    await expect(switch).to_have_attribute("data-status", "busy")
    assert await _status_in_api(admin, me["id"]) == "busy"
    await expect(page.get_by_test_id("ws-no-call")).to_be_visible()
    await shot(page, "workspace")

    await page.keyboard.press("Alt+1")  # back online by the keyboard
    await expect(switch).to_have_attribute("data-status", re.compile("online|busy|wrapup"))
    assert await _status_in_api(admin, me["id"]) in ("online", "busy", "wrapup")

    card = page.get_by_test_id("ws-call")
    await expect(card).to_be_visible(timeout=45_000)  # the demo's campaign bridges an answered call to op1001
    call_id = await card.get_attribute("data-call-id")
    assert call_id
    await expect(page.get_by_test_id("ws-lead")).to_be_visible()
    number = (await page.get_by_test_id("ws-lead").locator("dd.ws-big").nth(1).inner_text()).strip()
    assert _digits(number)

    text = f"Просил больше не звонить ({call_id})"
    await page.get_by_test_id("ws-note").fill(text)
    await page.get_by_test_id("ws-save-note").click()
    await expect(page.get_by_test_id("ws-notes")).to_contain_text(text)
    await page.get_by_test_id("ws-d-dnc").click()
    await page.get_by_test_id("ws-dnc-confirm").click()
    await expect(page.get_by_test_id("ws-dispo-done")).to_be_visible()
    await expect(page.get_by_test_id("ws-d-dnc")).to_have_class(re.compile(r"\bon\b"))
    await shot(page, "workspace-call")

    status, notes = await api("GET", f"/api/crm/notes/{call_id}", own)
    assert status == 200 and any(n["text"] == text for n in notes["notes"]), notes
    status, stats = await api("GET", f"/api/operators/{me['id']}/stats?period=today", own)
    assert status == 200 and stats["dispositions"].get("dnc", 0) >= 1, stats
    status, dnc = await api("GET", "/api/autodialer/dnc?limit=5000", admin)
    assert status == 200 and any(_digits(r["number_e164"]) == _digits(number) for r in dnc), (number, dnc[:5])
    status, history = await api("GET", "/api/calls?limit=50", own)
    assert status == 200 and history["items"], history
    assert all(c["operator_id"] == me["id"] for c in history["items"])


async def test_the_workspace_speaks_english_and_shows_wrap_up_as_automatic(page: Page):
    await login(page, OPERATOR, "/workspace")
    await page.get_by_test_id("lang").get_by_text("EN").click()
    await expect(page.get_by_test_id("ws-status-busy")).to_have_text("Busy")
    await expect(page.get_by_test_id("ws-status-wrapup")).to_be_disabled()
    await expect(page.get_by_test_id("ws-status-wrapup")).to_have_attribute("title", re.compile("automatically"))
