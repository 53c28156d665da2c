"""The calls page (`/calls`) in Chromium against the running demo: the live feed holds what the API lists as
active, the history's filters narrow the rows to what the API answers for the same filter, a call opens its CDR
and notes, and an operator sees only what the API lets it see."""

from __future__ import annotations

import asyncio
import random
import re
import urllib.parse

from playwright.async_api import Page, expect

from tests.console.conftest import api, login, shot, token_for

OPERATOR = ("op1001", "demo-1001")
LIVE = "[data-testid=calls-live-table]"
HISTORY = "[data-testid=calls-history-table]"

OUTCOME_RU = {"answered": "Отвечен", "abandoned": "Брошен"}
PAGE_IDS = """(table) => [...document.querySelectorAll(`${table} [data-call]`)].map((el) => el.dataset.call)"""


async def page_ids(page: Page, table: str) -> list[str]:
    return list(await page.evaluate(PAGE_IDS, table))


async def history_loaded(page: Page) -> None:
    await expect(page.get_by_test_id("calls-history")).to_have_attribute("data-loaded", "yes")


async def api_ids(path: str, token: str) -> list[str]:
    status, body = await api("GET", path, token)
    assert status == 200, body
    return [c["call_id"] for c in (body["items"] if isinstance(body, dict) else body)]


def in_order_within(shown: list[str], listed: list[str]) -> bool:
    """Every id shown is listed, in the listed order (newer calls may have been stored since the page read)."""
    where = [listed.index(i) if i in listed else -1 for i in shown]
    return -1 not in where and where == sorted(where)


async def test_the_live_feed_shows_the_calls_the_api_lists_as_active(page: Page):
    await login(page, path="/calls")
    await expect(page.get_by_test_id("calls-live")).to_be_visible()
    await expect(page.locator(f"{LIVE} [data-call]").first).to_be_visible()
    active = await api_ids("/api/calls/active?limit=500", await token_for())
    assert active, "the demo's campaigns keep calls in progress"
    for call_id in active:
        await expect(page.locator(f"{LIVE} [data-call='{call_id}']")).to_be_visible()
    # A call in progress: its badge says so and its duration is shown as m:ss.
    await expect(page.locator(f"{LIVE} [data-state=ACTIVE_CALL], {LIVE} [data-state=CALLING]").first).to_be_visible()
    await expect(page.get_by_test_id("call-duration").first).to_have_text(re.compile(r"^\d+:\d\d$"))
    await shot(page, "calls-live")


async def test_history_filters_narrow_the_rows_to_what_the_api_returns(page: Page):
    token = await token_for()
    await login(page, path="/calls?tab=history")
    await history_loaded(page)
    for name, value in (("outcome", "busy"), ("status", "completed")):
        await page.get_by_test_id("calls-reset").click()
        await history_loaded(page)
        await page.get_by_test_id(f"calls-f-{name}").select_option(value)
        await page.get_by_test_id("calls-apply").click()
        await expect(page).to_have_url(_url_with(name, value))
        await history_loaded(page)
        shown = await page_ids(page, HISTORY)
        listed = await api_ids(f"/api/calls?{name}={value}&limit=500", token)
        assert shown and in_order_within(shown, listed), (name, shown[:5], listed[:5])
        values = await page.eval_on_selector_all(f"{HISTORY} [data-{name}]", f"els => els.map((e) => e.dataset.{name})")
        assert set(values) == {value}, values
        status, unfiltered = await api("GET", "/api/calls?limit=1", token)
        status, filtered = await api("GET", f"/api/calls?{name}={value}&limit=1", token)
        assert filtered["total"] < unfiltered["total"], (name, filtered["total"], unfiltered["total"])
    # The filter is in the address: a shared link opens the same list.
    await page.goto(page.url)
    await expect(page.get_by_test_id("calls-f-status")).to_have_value("completed")
    await history_loaded(page)
    statuses = await page.eval_on_selector_all(f"{HISTORY} [data-status]", "els => els.map((e) => e.dataset.status)")
    assert statuses and set(statuses) == {"completed"}, statuses
    await shot(page, "calls-history")
    # The form is checked before the address changes: a range backwards, a number that is none.
    await page.get_by_test_id("calls-f-from").fill("2026-12-05")
    await page.get_by_test_id("calls-f-to").fill("2026-12-01")
    await page.get_by_test_id("calls-f-number").fill("12ab")
    await page.get_by_test_id("calls-apply").click()
    await expect(page.locator("[data-field=to] .field-error")).to_be_visible()
    await expect(page.locator("[data-field=number] .field-error")).to_be_visible()
    assert "from=" not in page.url


def _url_with(name: str, value: str) -> re.Pattern[str]:
    return re.compile(rf".*/calls\?.*{re.escape(name)}={re.escape(value)}.*")


async def test_a_call_opens_its_cdr_and_notes(page: Page):
    token = await token_for()
    await login(page, path="/calls?tab=history&status=completed")
    await history_loaded(page)
    first = page.locator(f"{HISTORY} [data-call]").first
    call_id = await first.get_attribute("data-call")
    await first.click()
    await expect(page).to_have_url(_url_with("call", urllib.parse.quote(call_id)))
    detail = page.get_by_test_id("call-detail")
    status, cdr = await api("GET", f"/api/pbx/cdr/{call_id}", token)
    assert status == 200, cdr
    await expect(detail.locator("[data-fact=id]")).to_have_text(call_id)
    await expect(detail.locator("[data-fact=number]")).to_have_text(cdr["phone_number"])
    await expect(detail.locator("[data-fact=cause]")).to_contain_text(cdr["cause_text"])
    await expect(detail.locator("[data-fact=outcome]")).to_have_text(OUTCOME_RU[cdr["outcome"]])
    await expect(page.locator("[data-testid=call-legs] tbody tr")).to_have_count(len(cdr["legs"]))
    for leg in cdr["legs"]:
        await expect(page.get_by_test_id("call-legs")).to_contain_text(leg["channel"])
    text = f"Перезвонить после 18:00 ({random.randrange(10**6)})"  # noqa: S311 (not cryptographic)
    await page.get_by_test_id("note-add").click()
    await expect(page.locator("[data-field=text] .field-error")).to_be_visible()
    await page.get_by_test_id("note-text").fill(text)
    await page.get_by_test_id("note-add").click()
    await expect(page.get_by_test_id("note").filter(has_text=text)).to_be_visible()
    status, notes = await api("GET", f"/api/crm/notes/{call_id}", token)
    assert status == 200 and [n["text"] for n in notes["notes"]] == [text]
    await shot(page, "call-detail")


async def test_an_operator_sees_only_what_the_api_lets_it(page: Page):
    token = await token_for(OPERATOR)
    number = f"+7999{random.randrange(10**7):07d}"  # noqa: S311 (not cryptographic)
    status, started = await api("POST", "/api/call/start", token, {"number": number, "slot": "AUTO"})
    assert status == 200, started
    await login(page, OPERATOR, "/calls")
    await expect(page.get_by_test_id("calls-live")).to_be_visible()
    other = f"+7998{random.randrange(10**7):07d}"  # noqa: S311 (not cryptographic)
    status, second = await api("POST", "/api/call/start", token, {"number": other, "slot": "AUTO"})
    assert status == 200, second
    # The call started while the page was open arrives through the socket and is shown once the API lets it.
    await expect(page.locator(f"{LIVE} [data-call='{second['call_id']}']")).to_be_visible()
    mine = set(await api_ids("/api/calls?limit=500", token)) | set(await api_ids("/api/calls/active", token))
    assert set(await page_ids(page, LIVE)) <= mine
    await page.get_by_test_id("calls-tab-history").click()
    await history_loaded(page)
    shown, listed = await page_ids(page, HISTORY), await api_ids("/api/calls?limit=50", token)
    assert started["call_id"] in shown and in_order_within(shown, listed), (shown, listed)
    assert set(listed) - set(shown) <= {second["call_id"]}  # stored after the page read, at most
    # An operator's call opens with its facts and notes; CDRs are not the operator's to read.
    await page.locator(f"{HISTORY} [data-call='{started['call_id']}']").click()
    await expect(page.get_by_test_id("call-detail").locator("[data-fact=number]")).to_have_text(number)
    await expect(page.get_by_test_id("call-detail")).to_contain_text("CDR недоступен для вашей роли")
    await expect(page.get_by_test_id("note-form")).to_be_visible()
    await _end_calls(token, [started["call_id"], second["call_id"]])


async def _end_calls(token: str, call_ids: list[str]) -> None:
    """Hang up the operator's calls (the PBX simulator would let them talk on) and wait until the API no longer
    lists them as active: the next test's operator starts with no call of theirs."""
    for call_id in call_ids:
        await api("POST", "/api/call/end", token, {"call_id": call_id})
    for _ in range(200):
        if not set(call_ids) & set(await api_ids("/api/calls/active", token)):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"calls {call_ids} still active after hanging up")
