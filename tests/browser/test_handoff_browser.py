"""The handoff end to end in Chromium: a sourcing user hands a requirement with
a specification to the provider; a buyer returns it with a reason; the sourcing
user sees the reason by the field, fixes it and resubmits; the buyer accepts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.support import requirements as h
from tests.support.world import PASSWORD

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n% bracket drawing\n%%EOF\n"


def sign_in(page, live_server: str, email: str) -> None:
    page.goto(live_server + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def choose(page, select: str, text: str) -> None:
    """Pick the option whose label contains ``text``."""
    value = page.locator(f"{select} option", has_text=text).first.get_attribute("value")
    page.select_option(select, value)


def sign_out(page) -> None:
    page.context.clear_cookies()


def test_a_requirement_goes_back_and_forth_until_accepted(
    page, live_server, browser_app, browser_world, screenshot, tmp_path
):
    world = browser_world
    h.make_supplier(browser_app, world, code=f"BOLT{world.suffix}".upper()[:12], name="Bolt & Co")
    need_by = (h.today() + timedelta(days=45)).isoformat()
    quote_until = (h.today() + timedelta(days=60)).isoformat()

    # The sourcing user uploads the specification, then writes the requirement.
    sign_in(page, live_server, world.email("acme_sourcing"))
    page.goto(live_server + "/client/documents/new")
    page.select_option("#kind", "specification")
    page.fill("#title", "Bracket drawing")
    spec_file = tmp_path / "bracket.pdf"
    spec_file.write_bytes(PDF)
    page.set_input_files("#file", str(spec_file))
    page.locator("[data-testid=document-form] button[type=submit]").click()
    expect(page.get_by_text("Bracket drawing").first).to_be_visible()

    page.goto(live_server + "/client/requirements/")
    page.get_by_test_id("new-requirement").click()
    page.fill("#client_reference", "REQ-7001")
    page.fill("#title", "Brackets for line 3")
    choose(page, "#supplier_id", "Bolt & Co")
    page.fill("#quote_reference", "Q-2291")
    page.fill("#quote_valid_until", quote_until)
    page.fill("#ship_to", "Acme Plant 2, Dock 4")
    page.fill("#assumptions", "Price assumes 3,000 a year")
    page.fill("#lines-0-item_code", "BR-100")
    page.fill("#lines-0-description", "Bracket, zinc plated")
    page.fill("#lines-0-quantity", "250")
    page.fill("#lines-0-unit", "each")
    page.fill("#lines-0-need_by", need_by)
    page.check("#lines-0-spec_required")
    # The live check notices what is still missing before anything is saved.
    readiness = page.get_by_test_id("readiness")
    expect(readiness).to_contain_text("Line 1: enter the agreed unit price.")
    expect(readiness).to_contain_text("Line 1: this item must be bought to a specification.")
    page.fill("#lines-0-unit_price", "3.85")
    choose(page, "#lines-0-spec_revision_ids", "Bracket drawing")
    expect(readiness).to_have_attribute("data-ready", "yes")
    screenshot("handoff-1-draft")
    page.get_by_test_id("save-submit").click()
    expect(page.get_by_test_id("status")).to_have_text("Submitted")
    sign_out(page)

    # The buyer finds it in the queue and returns it: the price is wrong.
    sign_in(page, live_server, world.email("north_buyer"))
    page.goto(live_server + "/provider/queue/")
    row = page.locator('[data-testid=queue-row][data-reference="REQ-7001"]')
    expect(row).to_contain_text(f"Acme {world.suffix}")
    row.get_by_test_id("open-review").click()
    expect(page.get_by_test_id("status")).to_have_text("Submitted")  # opening changes nothing
    page.get_by_test_id("start-review").click()
    expect(page.get_by_test_id("status")).to_have_text("In review")
    expect(page.get_by_test_id("spec-download")).to_have_text(re.compile("rev 1"))
    page.select_option('select[name="reasons-0-code"]', "price_not_valid")
    page.select_option('select[name="reasons-0-field"]', "lines[1].unit_price")
    page.fill('input[name="reasons-0-comment"]', "Quote Q-2291 says 4.10 each")
    screenshot("handoff-2-return")
    page.get_by_test_id("return").click()
    expect(page.get_by_test_id("status")).to_have_text("Returned")
    sign_out(page)

    # The sourcing user sees the reason by the price, fixes it, resubmits.
    sign_in(page, live_server, world.email("acme_sourcing"))
    page.goto(live_server + "/client/requirements/")
    page.get_by_role("link", name="REQ-7001").click()
    expect(page.get_by_test_id("returned-banner")).to_contain_text("Price not valid")
    page.get_by_test_id("edit").click()
    reason = page.locator('[data-testid=return-reason][data-field="lines[1].unit_price"]')
    expect(reason).to_contain_text("Quote Q-2291 says 4.10 each")
    page.fill("#lines-0-unit_price", "4.10")
    screenshot("handoff-3-fix")
    page.get_by_test_id("save-submit").click()
    expect(page.get_by_test_id("status")).to_have_text("Submitted")
    expect(page.get_by_test_id("snapshots")).to_contain_text("v2")
    sign_out(page)

    # The buyer sees what changed and accepts.
    sign_in(page, live_server, world.email("north_buyer"))
    page.goto(live_server + "/provider/queue/")
    page.locator('[data-testid=queue-row][data-reference="REQ-7001"]').get_by_test_id(
        "open-review"
    ).click()
    page.get_by_test_id("snapshot-diff-link").click()
    diff = page.get_by_test_id("snapshot-diff")
    expect(diff).to_contain_text("Line 1 unit price")
    expect(diff).to_contain_text("4.1")
    page.go_back()
    page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("status")).to_have_text("Accepted")
    screenshot("handoff-4-accepted")
