"""The provider's SLA page in Chromium: Northwind's admin opens SLA from the
navigation, picks the month, and sees Acme's breach and whose time it was;
then tightens a target on the engagement's SLA targets page (CSRF on)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.support import requirements as h
from tests.support import sla_history as sla
from tests.support.world import PASSWORD

pytestmark = pytest.mark.browser

MONDAY = datetime(2026, 3, 2, 9, tzinfo=UTC)


def sign_in(page, live_server: str, email: str) -> None:
    page.goto(live_server + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_the_provider_admin_sees_a_clients_breach_and_whose_time_it_was(
    page, live_server, browser_app, browser_world, screenshot
):
    app, world = browser_app, browser_world
    sla.set_targets(app, world)
    supplier = h.make_supplier(app, world)
    # Handed off on Monday 2 March 2026 and left alone: past its 16 business hours
    # on Tuesday evening, all of it Northwind's time.
    late = sla.handed_off(app, world, MONDAY, supplier, title="Pump seals")
    # Returned within the hour and answered by Acme on Thursday: late on Acme's time.
    answered = sla.handed_off(app, world, MONDAY, supplier, title="Gaskets")
    sla.returned(app, world, answered, datetime(2026, 3, 2, 10, tzinfo=UTC))
    sla.resubmitted(app, world, answered, datetime(2026, 3, 5, 16, tzinfo=UTC))
    sla.roll_up(app, world, datetime(2026, 3, 6, 9, tzinfo=UTC))

    sign_in(page, live_server, world.email("north_admin"))
    page.get_by_role("link", name="SLA", exact=True).first.click()
    expect(page.get_by_role("heading", name="SLA across clients")).to_be_visible()
    page.fill("#period", "2026-03")
    page.get_by_test_id("period-form").get_by_role("button").click()

    acme = page.locator(f'[data-testid=sla-client][data-client="Acme {world.suffix}"]')
    expect(acme.get_by_test_id("compliance-handoff_to_release")).to_contain_text("50.0 %")
    expect(acme.get_by_test_id("client-credit")).to_contain_text("240.00 EUR")
    breaches = page.get_by_test_id("sla-breaches")
    seals = breaches.locator("[data-testid=breach-row]", has_text="Pump seals")
    expect(seals.get_by_test_id("breach-party")).to_have_text("provider's time")
    gaskets = breaches.locator("[data-testid=breach-row]", has_text="Gaskets").first
    expect(gaskets.get_by_test_id("breach-party")).to_have_text("client's time")
    screenshot("sla-provider-dashboard")

    # From the breach to the requirement behind it.
    seals.get_by_role("link").first.click()
    expect(page).to_have_url(f"{live_server}/provider/requirements/{late}")

    # The targets page: a bad value is named, a good one saved.
    page.goto(f"{live_server}/organisation/engagements/{world.engagements['acme-north']}/sla")
    page.fill("#handoff_to_release_percent", "150")
    page.get_by_test_id("save-sla-targets").click()
    expect(page.get_by_test_id("error-handoff_to_release_percent")).to_contain_text("0 to 100")
    page.fill("#handoff_to_release_percent", "97.5")
    page.get_by_test_id("save-sla-targets").click()
    expect(page.get_by_text("SLA targets saved.")).to_be_visible()
    expect(page.get_by_test_id("target-handoff_to_release")).to_contain_text("97.5 %")
    screenshot("sla-provider-targets")
