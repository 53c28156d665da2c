"""The DCI page (`/dci`) in Chromium against the running demo: the built-in pipelines, a run started from the form
built from its params schema (checked before sending), its log streaming live from `pipeline.update`, a failing
run with its exit code, the DCI log with filters, and an operator who may not see it."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.console.conftest import api, login, shot, token_for

OPERATOR = ("op1001", "demo-1001")


async def test_run_a_cdr_export_and_watch_its_log_live(page: Page):
    await login(page, path="/dci")
    table = page.get_by_test_id("dci-pipelines")
    for name in ("cdr-export", "lead-import", "db-backup", "migrate"):
        await expect(table.locator("tr", has_text=name)).to_be_visible()
    await expect(table).to_contain_text("Выгрузка CDR за период")
    await page.get_by_test_id("dci-run-cdr-export").click()
    form = page.get_by_test_id("dci-run-form")
    await form.get_by_test_id("dci-run-submit").click()  # nothing filled in: the form says so, sends nothing
    await expect(form.locator("[data-field=date_from] .field-error")).to_have_text("Обязательное поле")
    await form.get_by_test_id("dci-param-date_from").fill("2026-01-01")
    await form.get_by_test_id("dci-param-date_to").fill("2030-12-31")
    await form.get_by_test_id("dci-param-format").select_option("parquet")
    await form.get_by_test_id("dci-run-submit").click()
    live = page.get_by_test_id("dci-live-log")
    await expect(live).to_contain_text("exporting calls 2026-01-01..2030-12-31 as parquet", timeout=30_000)
    await expect(live).to_contain_text("done:", timeout=30_000)
    await expect(live).to_contain_text("vssd dci export-cdr --from 2026-01-01 --to 2030-12-31")  # the first line too
    await expect(page.get_by_test_id("dci-live").locator("[data-status=success]")).to_be_visible()
    await expect(table.locator("tr", has_text="cdr-export").locator("[data-status=success]")).to_be_visible()
    await expect(page.get_by_test_id("dci-exit")).to_have_text("0")
    await shot(page, "dci")


async def test_a_failing_run_shows_its_exit_code_and_error(page: Page):
    await login(page, path="/dci")
    await page.get_by_test_id("dci-run-lead-import").click()
    form = page.get_by_test_id("dci-run-form")
    await form.get_by_test_id("dci-param-campaign_id").fill("no such campaign!")  # the schema's pattern
    await form.get_by_test_id("dci-param-file").fill("leads.csv")
    await form.get_by_test_id("dci-run-submit").click()
    await expect(form.locator("[data-field=campaign_id] .field-error")).to_have_text("Неверный формат")
    await form.get_by_test_id("dci-param-campaign_id").fill("cmp_missing")
    await form.get_by_test_id("dci-run-submit").click()
    box = page.get_by_test_id("dci-live")
    await expect(box.locator("[data-status=failed]")).to_be_visible(timeout=30_000)
    await expect(page.get_by_test_id("dci-exit")).to_have_text("1")
    await expect(box).to_contain_text("leads.csv")
    await expect(box).to_contain_text("step import failed (exit code 1)")


async def test_the_dci_log_filters_by_module_and_severity(page: Page):
    token = await token_for()
    status, _ = await api("POST", "/api/dci/log-event", token, {"module": "WORKSPACE", "severity": "critical",
                                                                 "message": "CRM sync lost its peer",
                                                                 "context": {"peer": "crm-1"}})
    assert status == 201
    await login(page, path="/dci")
    logs = page.get_by_test_id("dci-logs")
    await page.get_by_test_id("dci-log-module").select_option("WORKSPACE")
    await page.get_by_test_id("dci-log-severity").select_option("critical")
    row = logs.locator("tr", has_text="CRM sync lost its peer")
    await expect(row).to_be_visible()
    await expect(row).to_contain_text("критично")
    await expect(row).to_contain_text("peer=crm-1")
    await page.get_by_test_id("dci-log-module").select_option("POINT")
    await expect(row).to_have_count(0)
    await page.get_by_test_id("lang").get_by_text("EN").click()
    await expect(page.locator("h1")).to_have_text("Pipelines")


async def test_an_operator_has_no_dci_page(page: Page):
    await login(page, OPERATOR, path="/dci")
    await expect(page.locator("main .note")).to_have_text("Недостаточно прав для этого раздела")
    await expect(page.locator("header.top nav")).not_to_contain_text("Пайплайны")
