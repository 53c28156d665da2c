"""The admin page (`/admin`) in Chromium against the running demo: a user created through the form logs in and
sees only what its role allows; a bad form shows the problems beside the fields (the browser's own checks and the
API's answer); a custom role (the admin role read-only, the other builtin ones editable: test_settings.py); a
trunk created and deleted; a slot disabled and enrolled again, and one added and deleted."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import Page, Request, expect

from tests.console.conftest import api, base, login, shot, token_for


def _tag() -> str:
    return uuid.uuid4().hex[:6]


async def _fill(page: Page, form: str, values: dict[str, str]) -> None:
    scope = page.get_by_test_id(form)
    for name, value in values.items():
        await scope.locator(f"[name={name}]").fill(value)


async def test_a_user_made_through_the_form_logs_in_and_its_role_limits_the_nav(page: Page):
    await login(page, path="/admin?tab=users")
    await page.get_by_test_id("user-new").click()
    name, ext = f"op_{_tag()}", str(uuid.uuid4().int % 90000 + 10000)
    await _fill(page, "user-form", {"username": name, "name": "Ирина Петрова", "email": f"{name}@example.com",
                                    "password": "s3cret-pw", "extension": ext})
    await page.get_by_test_id("user-form").locator("[name=role]").select_option("operator")
    async with page.expect_response(lambda r: r.url.endswith("/api/users") and r.request.method == "POST") as made:
        await page.get_by_test_id("form-save").click()
    assert (await made.value).status == 201
    await expect(page.get_by_test_id("user-form")).to_have_count(0)
    await expect(page.get_by_test_id("users-table")).to_contain_text(name)
    await shot(page, "admin-users")

    browser = page.context.browser
    assert browser is not None
    fresh = await (await browser.new_context(viewport={"width": 1400, "height": 900}, locale="ru-RU")).new_page()
    await login(fresh, (name, "s3cret-pw"))
    nav = fresh.locator("header.top nav")
    await expect(fresh.get_by_test_id("who")).to_contain_text(f"{name} · operator")
    await expect(nav).to_contain_text("Рабочее место")
    await expect(nav).not_to_contain_text("Администрирование")
    await fresh.goto(base() + "/admin")
    await expect(fresh.locator("main")).to_contain_text("Недостаточно прав")
    await fresh.context.close()


async def test_a_bad_user_form_shows_the_problems_beside_the_fields(page: Page):
    await login(page, path="/admin?tab=users")
    posts: list[str] = []

    def note(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/api/users"):
            posts.append(request.url)

    page.on("request", note)
    await page.get_by_test_id("user-new").click()
    await _fill(page, "user-form", {"username": "admin", "email": f"x{_tag()}@example.com", "password": "123"})
    await page.get_by_test_id("user-form").locator("[name=role]").select_option("supervisor")
    await page.get_by_test_id("form-save").click()
    await expect(page.locator("[data-field=password] .field-error")).to_contain_text("Не меньше 6 символов")
    assert posts == [], "a form the browser can tell is wrong is not sent"

    await _fill(page, "user-form", {"password": "long-enough"})
    await expect(page.locator("[data-field=password] .field-error")).to_have_count(0)
    async with page.expect_response(lambda r: r.url.endswith("/api/users") and r.request.method == "POST") as sent:
        await page.get_by_test_id("form-save").click()
    answer = await sent.value
    assert answer.status == 409 and (await answer.json())["code"] == "USER_001"
    await expect(page.locator("[data-field=username] .field-error")).to_contain_text("Такой логин уже есть")
    await expect(page.get_by_test_id("user-form").locator("[name=password]")).to_have_value("long-enough")


async def test_a_custom_role_is_created_with_the_helper_and_the_admin_role_is_read_only(page: Page):
    await login(page, path="/admin?tab=roles")
    await expect(page.get_by_test_id("roles-table")).to_contain_text("supervisor")
    await page.get_by_test_id("roles-table").get_by_text("admin", exact=True).click()
    await expect(page.locator(".modal")).to_contain_text("всегда сохраняет полные права")
    await expect(page.locator(".modal textarea")).to_have_count(0)
    await page.keyboard.press("Escape")
    await page.get_by_test_id("roles-table").get_by_text("operator", exact=True).click()  # builtin: editable
    await expect(page.get_by_test_id("role-form").locator("textarea")).to_have_value(re.compile("vssd.operators.own.#"))
    await page.keyboard.press("Escape")

    role = f"qa-{_tag()}"
    await page.get_by_test_id("role-new").click()
    await _fill(page, "role-form", {"name": role, "description": "Контроль качества"})
    for perm in ("calls.read", "slots.read", "reports.all"):
        await page.locator(f"[data-perm='{perm}']").check()
    await expect(page.get_by_test_id("role-form").locator("textarea")).to_have_value(
        "vssd.calls.read\nvssd.calls.*.read\nvssd.slots.read\nvssd.slots.*.read\nvssd.reports.#")
    await shot(page, "admin-roles-form")
    await page.get_by_test_id("form-save").click()
    await expect(page.get_by_test_id("roles-table")).to_contain_text(role)
    status, roles = await api("GET", "/api/roles", await token_for())
    mine = next(r for r in roles if r["name"] == role)
    assert status == 200 and not mine["builtin"] and mine["description"] == "Контроль качества"
    assert mine["permissions"] == ["vssd.calls.read", "vssd.calls.*.read", "vssd.slots.read", "vssd.slots.*.read",
                                   "vssd.reports.#"]
    await shot(page, "admin-roles")


async def test_a_trunk_is_created_and_deleted(page: Page):
    await login(page, path="/admin?tab=trunks")
    name = f"mf-{_tag()}"
    await page.get_by_test_id("trunk-new").click()
    await _fill(page, "trunk-form", {"name": name, "capacity": "99999"})
    await page.get_by_test_id("trunk-form").locator("[name=type]").select_option("mf")
    await page.get_by_test_id("form-save").click()
    await expect(page.locator("[data-field=capacity] .field-error")).to_be_visible()
    await _fill(page, "trunk-form", {"capacity": "8", "description": "Мегафон, резерв"})
    await page.get_by_test_id("form-save").click()
    row = page.get_by_test_id("trunks-table").locator("tr", has_text=name)
    await expect(row).to_contain_text("MF")
    token = await token_for()
    _, trunks = await api("GET", "/api/trunks", token)
    made = next(t for t in trunks if t["name"] == name)
    assert made["type"] == "mf" and made["capacity"] == 8
    await row.get_by_test_id("trunk-delete").click()
    await expect(page.get_by_test_id("confirm-text")).to_contain_text(name)
    await page.get_by_test_id("confirm-yes").click()
    await expect(row).to_have_count(0)
    status, _ = await api("GET", f"/api/trunks/{made['id']}", token)
    assert status == 404


async def test_a_slot_is_disabled_and_enrolled_again_and_one_is_added_and_deleted(page: Page):
    token = await token_for()
    _, slots = await api("GET", "/api/slots?limit=5000", token)
    slot = next(s for s in slots if s["type"] == "LS" and s["fsm_state"] != "IDLE" and s["trunk_id"])
    sid = slot["id"]
    status, trunk = await api("POST", "/api/trunks", token, {"name": f"ls-{_tag()}", "type": "ls", "capacity": 8})
    assert status == 201, trunk
    await login(page, path="/admin?tab=slots")
    row = page.get_by_test_id("slots-table").locator(f"[data-slot-actions='{sid}']")
    await row.get_by_test_id("slot-disable").click()
    await page.get_by_test_id("confirm-yes").click()
    state = page.locator(f"[data-slot-state='{sid}']")
    await expect(state).to_have_attribute("data-state", "IDLE")
    _, seen = await api("GET", f"/api/slots/{sid}", token)
    assert seen["fsm_state"] == "IDLE"

    await row.get_by_test_id("slot-enroll").click()
    choice = page.get_by_test_id("enroll-form").locator("[name=trunk_id]")
    await choice.select_option(str(trunk["id"]))
    await page.get_by_test_id("enroll-save").click()
    await expect(state).not_to_have_attribute("data-state", "IDLE")
    # READY, then the demo's calls may take it at once: any in-service state proves the enrolment.
    in_service = re.compile("READY|CALLING|ACTIVE_CALL|POSTCALL")
    await expect(state).to_have_attribute("data-state", in_service, timeout=30_000)
    _, seen = await api("GET", f"/api/slots/{sid}", token)
    assert seen["trunk_id"] == trunk["id"] and seen["trunk_name"] == trunk["name"]
    await expect(page.get_by_test_id("slots-table").locator("tr", has=state)).to_contain_text(trunk["name"])
    await shot(page, "admin-slots")

    before = {s["id"] for s in slots}
    await page.get_by_test_id("slot-new").click()
    await page.get_by_test_id("slot-form").locator("[name=type]").select_option("MF")
    await _fill(page, "slot-form", {"internal_sip_number": "12", "name": "Резерв"})
    await page.get_by_test_id("form-save").click()
    await expect(page.locator("[data-field=internal_sip_number] .field-error")).to_contain_text("От 3 до 6 цифр")
    await _fill(page, "slot-form", {"internal_sip_number": ""})
    await page.get_by_test_id("form-save").click()
    await expect(page.get_by_test_id("slot-form")).to_have_count(0)
    _, after = await api("GET", "/api/slots?limit=5000", token)
    (added,) = [s for s in after if s["id"] not in before]
    added_row = page.get_by_test_id("slots-table").locator(f"[data-slot-actions='{added['id']}']")
    await added_row.get_by_test_id("slot-delete").click()
    await page.get_by_test_id("confirm-yes").click()
    await expect(added_row).to_have_count(0)
    _, final = await api("GET", "/api/slots?limit=5000", token)
    assert {s["id"] for s in final} == before


async def test_english_labels_and_no_admin_actions_for_a_supervisor(page: Page):
    token = await token_for()
    name = f"sv_{_tag()}"
    status, _ = await api("POST", "/api/users", token, {"username": name, "email": f"{name}@example.com",
                                                         "password": "sv-pass-1", "role": "supervisor"})
    assert status == 201
    await login(page, (name, "sv-pass-1"), "/admin?tab=trunks")
    await page.get_by_test_id("lang").get_by_role("button", name="EN").click()
    await expect(page.get_by_test_id("admin-tabs")).to_contain_text("Slots enrollment")
    await expect(page.get_by_test_id("trunks-table")).to_be_visible()
    await expect(page.get_by_test_id("trunk-new")).to_have_count(0)
    await page.get_by_test_id("admin-tabs").get_by_text("Users").click()
    await expect(page.get_by_test_id("users-table")).to_contain_text("admin")
    await expect(page.get_by_test_id("user-new")).to_have_count(0)
    await expect(page.get_by_test_id("user-delete")).to_have_count(0)

