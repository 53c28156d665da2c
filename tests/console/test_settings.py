"""Admin · Settings in Chromium against the running demo: the system info from the live daemon, the settings
form (checked before sending, saved, the AMI password never shown back), the Asterisk test against the demo's
PBX simulator on loopback, a closed loopback port and a refused LAN host; a builtin role's rights changed through
the roles tab and reset to the shipped ones."""

from __future__ import annotations

import re
import socket

from playwright.async_api import Page, expect

from tests.console.conftest import api, login, shot, token_for
from vssd.api.rbac import BUILTIN_ROLES


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _test_ami(page: Page, expected: str) -> None:
    await page.get_by_test_id("ami-test").click()
    await expect(page.get_by_test_id("ami-test-result")).to_contain_text(expected)


async def test_settings_tab(page: Page) -> None:
    await login(page, path="/admin?tab=settings")
    info = page.get_by_test_id("system-info")
    await expect(info.get_by_test_id("info-asterisk")).to_contain_text("подключён")
    await expect(info.get_by_test_id("info-uptime")).to_have_text(re.compile(r"^(\d+ days?, )?\d+:\d\d:\d\d$"))
    form = page.get_by_test_id("settings-form")

    await _test_ami(page, "Подключено")  # the demo's PBX simulator, its banner read

    await form.locator("[name=wrapup_time]").fill("-1")
    await form.locator("[name='asterisk_config.port']").fill("70000")
    await page.get_by_test_id("settings-save").click()
    await expect(form.locator("[data-field=wrapup_time] .field-error")).to_be_visible()
    await expect(form.locator("[data-field='asterisk_config.port'] .field-error")).to_be_visible()

    token = await token_for()
    ami_port = (await api("GET", "/api/admin/settings", token))[1]["asterisk_config"]["port"]
    await form.locator("[name=wrapup_time]").fill("3")
    await form.locator("[name='asterisk_config.port']").fill(str(ami_port))
    await form.locator("[name='asterisk_config.password']").fill("console-secret")
    await form.locator("[name=call_recording]").check()
    async with page.expect_response(
            lambda r: r.url.endswith("/api/admin/settings") and r.request.method == "PUT") as put:
        await page.get_by_test_id("settings-save").click()
    assert (await put.value).status == 200
    await expect(form.locator("[data-field='asterisk_config.password'] .field-hint")).to_contain_text("Пароль сохранён")
    await expect(form.locator("[name='asterisk_config.password']")).to_have_value("")
    status, saved = await api("GET", "/api/admin/settings", token)
    assert status == 200 and saved["wrapup_time"] == 3 and saved["call_recording"] is True
    assert saved["asterisk_config"]["password"] == "********" and "console-secret" not in str(saved)

    await form.locator("[name='asterisk_config.port']").fill(str(_closed_port()))
    await _test_ami(page, "Соединение отклонено")
    await form.locator("[name='asterisk_config.host']").fill("192.168.1.100")
    await _test_ami(page, "не разрешён")
    await form.locator("[name='asterisk_config.host']").fill("127.0.0.1")
    await form.locator("[name='asterisk_config.port']").fill(str(ami_port))
    await _test_ami(page, "Неверный логин или пароль")  # the stored password is tried: not the simulator's
    await shot(page, "admin-settings")


async def test_a_builtin_roles_rights_changed_and_reset(page: Page) -> None:
    token = await token_for()
    try:
        await login(page, path="/admin?tab=roles")
        await page.get_by_test_id("roles-table").get_by_text("supervisor", exact=True).click()
        form = page.get_by_test_id("role-form")
        await form.locator("[name=permissions]").fill("vssd.#.read\n!vssd.admin.#\n!vssd.settings.#")
        await page.get_by_test_id("form-save").click()
        row = page.get_by_test_id("roles-table").locator("tr", has_text="supervisor")
        await expect(row.get_by_test_id("role-changed")).to_be_visible()
        await row.click()
        await page.get_by_test_id("role-reset").click()
        await page.get_by_test_id("confirm-yes").click()
        await expect(row.get_by_test_id("role-changed")).to_have_count(0)
        await row.click()
        await expect(page.get_by_test_id("role-form").locator("[name=permissions]")).to_have_value(
            "\n".join(BUILTIN_ROLES["supervisor"]))
    finally:
        await api("POST", "/api/roles/supervisor/reset", token)
