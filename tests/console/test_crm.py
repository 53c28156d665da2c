"""The CRM page (`/crm`) in Chromium against the running demo: the leads list with its filters, the form (checked
in the browser, the API's field errors beside the fields), a lead's history and notes, pushing into a campaign."""

from __future__ import annotations

import uuid

from playwright.async_api import Page, expect

from tests.console.conftest import api, login, shot, token_for


async def test_leads_list_form_history_notes_and_push(page: Page):
    token = await token_for()
    tag = uuid.uuid4().hex[:5]
    for n, (name, st) in enumerate((("Иван Иванов", "new"), ("Мария Петрова", "callback"), ("Олег Смирнов", "won"))):
        status, _ = await api("POST", "/api/crm/leads", token, {"client_name": f"{name} {tag}", "status": st,
                                                                "phone": f"+7999555{n:04d}", "email": "c@example.com",
                                                                "city": "Казань"})
        assert status == 201
    await login(page, path="/crm")
    leads = page.get_by_test_id("crm-leads")
    await expect(leads).to_be_visible()
    await page.get_by_test_id("crm-search").fill(tag)
    await page.get_by_test_id("crm-search").press("Enter")
    await expect(leads.locator("tbody tr")).to_have_count(3)
    await page.get_by_test_id("crm-status").select_option("callback")
    await expect(leads.locator("tbody tr")).to_have_count(1)
    await expect(leads).to_contain_text("Мария Петрова")
    await page.get_by_test_id("crm-status").select_option("")
    await expect(leads.locator("tbody tr")).to_have_count(3)

    # a new lead: checked before sending, then saved
    await page.get_by_test_id("crm-new").click()
    form = page.get_by_test_id("crm-form")
    await page.get_by_test_id("crm-f-phone").fill("abc")
    await page.get_by_test_id("crm-save").click()
    await expect(form.locator("[data-field=client_name] .field-error")).to_be_visible()
    await expect(form.locator("[data-field=phone] .field-error")).to_be_visible()
    await page.get_by_test_id("crm-f-client_name").fill(f"Анна Кузнецова {tag}")
    await page.get_by_test_id("crm-f-phone").fill("+79995559999")
    await page.get_by_test_id("crm-save").click()
    await expect(form).to_have_count(0)
    await expect(leads.locator("tbody tr")).to_have_count(4)

    # a lead's panel: change its status, see the history, add a note
    await leads.locator("tbody tr", has_text="Иван Иванов").click()
    panel = page.get_by_test_id("crm-panel")
    await expect(panel).to_contain_text("Казань")  # an unknown field, kept in data
    await page.get_by_test_id("crm-f-status").select_option("qualified")
    await page.get_by_test_id("crm-save").click()
    history = page.get_by_test_id("crm-history")
    await expect(history.locator("tbody tr")).to_have_count(2)
    await page.get_by_test_id("crm-note-text").fill("Перезвонить в пятницу")
    await page.get_by_test_id("crm-note-add").click()
    await expect(page.get_by_test_id("crm-notes")).to_contain_text("Перезвонить в пятницу")
    campaigns = page.get_by_test_id("crm-campaign")
    await expect(campaigns.locator("option")).not_to_have_count(1)
    await shot(page, "crm")
    await campaigns.select_option(index=1)
    await page.get_by_test_id("crm-push-btn").click()
    await expect(history).to_contain_text("в кампании")
