"""The farm page (`/`) in Chromium against the running demo: every slot, live transitions, the slot panel, the
language switch and a session that outlives its access token."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.console.conftest import api, login, shot, token_for

WATCH_STATES = """() => {
  window.__seen = {};
  const note = (el) => {
    const id = el.dataset.slot, st = el.dataset.state, seq = (window.__seen[id] ||= []);
    if (seq[seq.length - 1] !== st) seq.push(st);
  };
  document.querySelectorAll(".tile").forEach(note);
  const tile = (el) => el.classList && el.classList.contains("tile");
  new MutationObserver((muts) => muts.forEach((m) => tile(m.target) && note(m.target)))
    .observe(document.body, { subtree: true, attributes: true, attributeFilter: ["data-state"] });
}"""

WENT_THROUGH = """(want) => Object.entries(window.__seen).find(([, seq]) => {
  for (let i = 0; i + want.length <= seq.length; i++) if (want.every((s, j) => seq[i + j] === s)) return true;
  return false;
})"""


async def test_the_farm_shows_every_slot_the_api_has(page: Page):
    await login(page)
    status, slots = await api("GET", "/api/slots?limit=5000", await token_for())
    assert status == 200 and len(slots) == 24
    await expect(page.locator(".tile")).to_have_count(len(slots))
    for slot in slots:
        await expect(page.locator(f".tile[data-slot='{slot['id']}']")).to_be_visible()
    await expect(page.get_by_test_id("conn")).to_have_class("conn up")
    await shot(page, "farm")


async def test_a_calls_tile_goes_ready_calling_active_postcall_on_screen(page: Page):
    await login(page)
    await page.wait_for_selector(".tile")
    await page.evaluate(WATCH_STATES)
    want = ["READY", "CALLING", "ACTIVE_CALL", "POSTCALL"]
    handle = await page.wait_for_function(WENT_THROUGH, arg=want, timeout=60_000)
    slot_id, seq = await handle.json_value()
    assert any(seq[i:i + 4] == want for i in range(len(seq))), (slot_id, seq)


async def test_filters_narrow_the_grid_by_type_and_state(page: Page):
    await login(page)
    await expect(page.locator(".tile")).to_have_count(24)
    await page.get_by_test_id("farm-type").select_option("MF")
    await expect(page.locator(".tile")).to_have_count(8)
    await page.get_by_test_id("farm-search").fill("7003")
    await expect(page.locator(".tile")).to_have_count(1)
    await expect(page.locator(".tile[data-slot='11']")).to_be_visible()


async def test_a_tile_opens_its_slot_with_details_and_restart_for_an_admin(page: Page):
    await login(page)
    await page.locator(".tile[data-slot='9']").click()
    await page.wait_for_url("**/?slot=9")
    modal = page.locator(".modal")
    await expect(modal).to_contain_text("7001")
    await expect(modal.get_by_role("button", name="Перезапустить слот")).to_be_visible()
    await shot(page, "farm-slot")
    await page.keyboard.press("Escape")
    await expect(modal).to_have_count(0)


async def test_russian_by_default_and_english_on_switch(page: Page):
    await login(page)
    nav = page.locator("header.top")
    await expect(nav).to_contain_text("Ферма")
    await page.get_by_test_id("lang").get_by_role("button", name="EN").click()
    await expect(nav).to_contain_text("Farm")
    await expect(nav).not_to_contain_text("Ферма")
    await page.reload()
    await expect(page.locator("header.top")).to_contain_text("Farm")


async def test_the_session_survives_an_unusable_access_token_by_refreshing(page: Page):
    await login(page)
    before = await page.evaluate("() => JSON.parse(sessionStorage.getItem('vssd.session')).token")
    await page.evaluate("""() => { const s = JSON.parse(sessionStorage.getItem('vssd.session'));
                             s.token = 'expired.' + s.token.split('.')[1] + '.x';
                             sessionStorage.setItem('vssd.session', JSON.stringify(s)); }""")
    await page.reload()
    await expect(page.locator(".tile")).to_have_count(24)
    await expect(page.get_by_test_id("login")).to_have_count(0)
    after = await page.evaluate("() => JSON.parse(sessionStorage.getItem('vssd.session')).token")
    assert after != before and not after.startswith("expired."), "the console refreshed its token"
    status, _ = await api("GET", "/api/auth/me", after)
    assert status == 200
