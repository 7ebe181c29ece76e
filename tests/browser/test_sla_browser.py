"""The client's SLA dashboard in Chromium: the admin opens it from the menu, picks
March, sees the late acknowledgement and that it was the supplier's time, drills
down to the order and exports the drill-down as CSV (history: tests/support/sla.py)."""

from __future__ import annotations

import csv

import pytest
from playwright.sync_api import expect

from baton.client_portal.sla.views import CHART_JS
from tests.support import sla_march as sla
from tests.support.world import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, live_server: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(live_server + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_the_client_admin_sees_a_breach_drills_down_and_exports(
    page, live_server, browser_app, browser_world, screenshot
):
    world = browser_world
    history = sla.march(browser_app, world)

    sign_in(page, live_server, world.email("acme_admin"))
    page.click("nav >> text=SLA")
    expect(page.locator("h1")).to_have_text("Service levels")
    page.fill("#period", "2026-03")
    page.click("[data-testid=sla-chooser] button[type=submit]")
    expect(page.locator("[data-testid=sla-heading]")).to_contain_text("March 2026")

    breach = page.locator("[data-testid=breach]", has_text=history.po_number)
    expect(breach).to_contain_text("Acknowledgement")
    expect(breach.locator("[data-testid=breach-party]")).to_have_text("Supplier")
    expect(page.locator("[data-testid=sla-credit]")).to_contain_text("500.00")
    if CHART_JS.is_file():
        expect(page.locator("#sla-chart-compliance")).to_be_visible()
    screenshot("sla-dashboard")

    # From the acknowledgement target's supplier breach count to the measure behind it.
    page.locator("[data-testid=target-acknowledgement] >> text=1").last.click()
    measures = page.locator("[data-testid=measure]")
    expect(measures).to_have_count(1)
    expect(measures).to_contain_text("Supplier")
    screenshot("sla-measures")
    with page.expect_download() as download:
        page.click("[data-testid=exports] >> text=Export CSV")
    with open(download.value.path(), encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[1][0] == history.po_number and rows[1][12] == "Supplier"

    page.click(f"[data-testid=measure] >> text={history.po_number}")
    expect(page.locator("h1")).to_contain_text(history.po_number)
    assert page.url.endswith(f"/client/orders/{history.late_po}")
