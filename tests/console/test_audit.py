"""The admin page's Audit tab in Chromium against the running demo: a denied request, a failed login and a role
change made through the API are in the list with who, where from, what, on which object and the outcome; the
filters narrow it (the API's answer, not the page's guess); a reversed time range is refused beside its field
before anything is sent."""

from __future__ import annotations

import uuid

from playwright.async_api import Page, Request, expect

from tests.console.conftest import api, login, shot, token_for


async def _trail_events() -> str:
    """A refused read (an operator asks for the users), a failed login, a role change; returns the user's id."""
    operator = await token_for(("op1003", "demo-1003"))
    assert (await api("GET", "/api/users", operator))[0] == 403
    status, _ = await api("POST", "/api/auth/login", body={"username": "op1004", "password": "not-it"})
    assert status in (401, 429)
    admin = await token_for()
    name = f"aud_{uuid.uuid4().hex[:6]}"
    status, user = await api("POST", "/api/users", admin, {"username": name, "email": f"{name}@example.com",
                                                           "password": "s3cret-pw", "role": "seller"})
    assert status == 201, user
    assert (await api("PATCH", f"/api/users/{user['id']}", admin, {"role": "supervisor"}))[0] == 200
    return str(user["id"])


async def test_the_audit_tab_lists_and_filters_the_trail(page: Page):
    user_id = await _trail_events()
    await login(page, path="/admin?tab=audit")
    table = page.get_by_test_id("audit-table")
    await expect(table).to_contain_text("PATCH /api/users/{user_id}")
    await expect(table).to_contain_text("роль: seller → supervisor")
    await expect(table).to_contain_text("op1003")
    await expect(table.locator("[data-outcome=denied]").first).to_have_text("отказано")
    await shot(page, "admin-audit")

    filters = page.get_by_test_id("audit-filters")
    await filters.locator("[name=actor]").fill("op1003")
    await filters.locator("[name=outcome]").select_option("denied")
    async with page.expect_response(lambda r: "/api/security/audit" in r.url and "actor=op1003" in r.url) as got:
        await page.get_by_test_id("audit-apply").click()
    assert (await got.value).status == 200
    rows = table.locator("tbody tr")
    await expect(rows.first).to_contain_text("GET /api/users")
    await expect(rows.first).to_contain_text("PERMISSION_DENIED")
    for text in await rows.all_inner_texts():
        assert "op1003" in text and "отказано" in text
    await expect(page.get_by_test_id("audit-total")).not_to_have_attribute("data-total", "0")

    await filters.locator("[name=actor]").fill("op1004")
    await filters.locator("[name=outcome]").select_option("")
    await page.get_by_test_id("audit-apply").click()
    await expect(rows.first).to_contain_text("POST /api/auth/login")

    sent: list[str] = []

    def note(request: Request) -> None:
        if "/api/security/audit" in request.url:
            sent.append(request.url)

    page.on("request", note)
    await filters.locator("[name=from]").fill("2026-12-02T10:00")
    await filters.locator("[name=to]").fill("2026-12-01T10:00")
    await page.get_by_test_id("audit-apply").click()
    await expect(filters.locator("[data-field=to] .field-error")).to_have_text("«По» раньше, чем «С»")
    assert sent == []
    await filters.locator("[name=actor]").fill("x" * 301)
    await page.get_by_test_id("audit-apply").click()
    await expect(filters.locator("[data-field=actor] .field-error")).to_contain_text("Не длиннее 300")
    await page.get_by_test_id("audit-reset").click()
    await expect(table).to_contain_text(user_id)  # the role change's object, the whole trail again
