"""The notifier page (`/notifier`) in Chromium against the running demo: the send form checks before sending and
shows the API's refusal, a notification's WebSocket delivery and a webhook's signed delivery (to a receiver in
this test) show up in the history as sent, subscriptions are created from the event catalogue; an operator has
no such page."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Page, expect

from tests.console.conftest import api, login, shot, token_for
from vssd.notifier import verify

OPERATOR = ("op1001", "demo-1001")
SECRET = "console-test-secret-0123"


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[bool]]]:
    checked: list[bool] = []

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        checked.append(verify(SECRET, request.headers.get("X-VSSD-Timestamp", ""), body,
                              request.headers.get("X-VSSD-Signature", "")))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield f"http://127.0.0.1:{server.port}/hook", checked
    finally:
        await server.close()


async def test_send_subscribe_and_watch_the_deliveries(page: Page, receiver):
    url, checked = receiver
    await login(page, path="/notifier")
    send = page.get_by_test_id("ntf-send")
    await send.get_by_test_id("ntf-send-button").click()  # empty: checked here, nothing sent
    await expect(send.locator("[data-field=title] .field-error")).to_have_text("Обязательное поле")
    await expect(send.locator("[data-field=user] .field-error")).to_be_visible()
    await send.locator("input[name=user]").fill("nobody-here")
    await send.locator("input[name=title]").fill("Проверка")
    await send.locator("textarea[name=message]").fill("Текст")
    await send.get_by_test_id("ntf-send-button").click()  # the API's refusal, in words
    await expect(send.get_by_test_id("form-error")).to_contain_text("nobody-here")

    hooks = page.get_by_test_id("ntf-hooks")
    await hooks.get_by_test_id("ntf-hook-new").click()
    form = page.get_by_test_id("ntf-hook-form")
    await form.locator("input[name=url]").fill("ftp://wrong")
    await form.get_by_test_id("ntf-hook-save").click()
    await expect(form.locator("[data-field=url] .field-error")).to_have_text("Нужен адрес http:// или https://")
    await form.locator("input[name=url]").fill(url)
    await form.locator("input[data-event=notification]").check()
    await form.locator("input[name=secret]").fill(SECRET)
    await form.get_by_test_id("ntf-hook-save").click()
    await expect(hooks.get_by_test_id("ntf-hooks-table").locator("code.ntf-url")).to_have_text(url)

    await send.locator("input[name=user]").fill("admin")
    await send.locator("input[name=title]").fill("Смена начинается")
    await send.locator("textarea[name=message]").fill("Через 10 минут — все на линии")
    await send.get_by_test_id("ntf-send-button").click()
    history = page.get_by_test_id("ntf-history-table")
    ws_row = history.locator("tr", has_text="Смена начинается").filter(has_text="в консоль")
    await expect(ws_row.locator("[data-state=sent]")).to_be_visible()
    await page.get_by_test_id("ntf-history").get_by_role("button", name="Обновить").click()
    hook_row = history.locator("tr", has_text="Смена начинается").filter(has_text="вебхук")
    await expect(hook_row.locator("[data-state]")).to_have_count(1)
    for _ in range(40):  # the daemon posts on its own time: re-read until the webhook's row says sent
        if await hook_row.locator("[data-state=sent]").count():
            break
        await page.get_by_test_id("ntf-history").get_by_role("button", name="Обновить").click()
        await page.wait_for_timeout(250)
    await expect(hook_row.locator("[data-state=sent]")).to_be_visible()
    assert checked and all(checked), checked
    await page.get_by_test_id("ntf-state").select_option("sent")
    await expect(history.locator("[data-state]").first).to_have_attribute("data-state", "sent")
    await page.get_by_test_id("ntf-state").select_option("")
    await expect(history.locator("tr", has_text="Смена начинается").first).to_be_visible()
    await shot(page, "notifier")


async def test_an_operator_has_no_notifier_page_but_sees_a_notification_for_them(page: Page):
    await login(page, OPERATOR, path="/notifier")
    await expect(page.locator("main .note")).to_have_text("Недостаточно прав для этого раздела")
    await expect(page.locator("nav a[href='/notifier']")).to_have_count(0)
    await expect(page.get_by_test_id("conn")).to_have_class("conn up")
    status, _ = await api("POST", "/api/notifier/send", await token_for(),
                          {"user": OPERATOR[0], "title": "Перерыв", "message": "через 5 минут"})
    assert status == 202
    await expect(page.locator(".toast")).to_have_text("Перерыв: через 5 минут")
