"""A purchase order end to end in Chromium: the buyer drafts it from an accepted
handoff with one drifted price, the client's approver accepts the exception and
approves, the buyer releases it, the supplier opens the emailed link and
acknowledges with a later date, the buyer accepts the date, two partial
receipts complete it and the buyer closes it; the dossier downloads and its
audit chain verifies."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.support import orders as o
from tests.support import requirements as h
from tests.support.world import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, live_server: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(live_server + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_an_order_goes_from_handoff_to_closed(
    page, live_server, browser_app, browser_world, screenshot
):
    world = browser_world
    rid = o.accepted(browser_app, world)

    # The buyer drafts the order and changes the agreed price: an exception.
    sign_in(page, live_server, world.email("north_buyer"))
    page.goto(live_server + "/provider/orders/ready")
    page.click("[data-testid=create-draft]")
    expect(page.locator("h1")).to_contain_text("ACME-000001")
    page.fill("input[name='lines-1-unit_price']", "4.10")
    page.click("[data-testid=save-draft]")
    expect(page.locator("[data-testid=drift]")).to_contain_text("3.85")
    page.fill("#reason", "Zinc surcharge since the quote")
    page.click("[data-testid=submit-po]")
    expect(page.locator("[data-testid=po-status]")).to_have_text("Awaiting approval")
    po_url = page.url
    po_id = po_url.rsplit("/", 1)[1]

    # The client's approver sees handoff and order side by side and approves.
    sign_in(page, live_server, world.email("acme_approver"))
    page.goto(live_server + "/client/approvals")
    page.click("text=ACME-000001")
    expect(page.locator("[data-testid=po-exceptions]")).to_contain_text("4.10")
    page.check("#accept_exceptions")
    page.click("[data-testid=approve]")
    expect(page.locator("[data-testid=inbox-empty]")).to_be_visible()

    # The buyer releases it; the supplier's email carries the PDF and a link.
    sign_in(page, live_server, world.email("north_buyer"))
    page.goto(po_url)
    page.click("[data-testid=release-po]")
    expect(page.locator("[data-testid=po-status]")).to_have_text("Released")
    supplier_id = h.load(browser_app, rid).supplier_id
    with h.service_session(browser_app) as session:
        from baton.sourcing.suppliers.models import Supplier

        address = session.get(Supplier, supplier_id).contact_email
    [mail] = [m for m in h.mails_to(browser_app, address) if "ACME-000001" in m["Subject"]]
    assert any(p.get_content_type() == "application/pdf" for p in mail.iter_attachments())
    link = re.search(r"http\S*/supplier/orders/\S+", h.body_text(mail)).group(0)

    # The supplier, with no account, acknowledges with a later date.
    page.context.clear_cookies()
    page.goto(link)
    expect(page.locator("h1")).to_contain_text("ACME-000001")
    later = (h.today() + timedelta(days=70)).isoformat()
    page.select_option("select[name='lines-1-outcome']", "changed")
    page.fill("input[name='lines-1-promised_date']", later)
    page.click("[data-testid=send-ack]")
    expect(page.locator(".alert-success")).to_contain_text("with the buyer")
    screenshot("supplier-acknowledged")

    # The buyer takes the date, receives in two parts and closes the order.
    sign_in(page, live_server, world.email("north_buyer"))
    page.goto(po_url)
    page.click("[data-testid=accept-changes]")
    for quantity in ("100", "150"):
        page.fill("input[name='lines-1-quantity_received']", quantity)
        page.click("[data-testid=receive]")
        expect(page.locator(".alert-success")).to_contain_text("Receipt recorded")
    expect(page.locator("[data-testid=po-status]")).to_have_text("Received")
    page.click("[data-testid=close-po]")
    expect(page.locator("[data-testid=po-status]")).to_have_text("Closed")
    screenshot("order-closed")
    po = o.load(browser_app, po_id)
    assert po.lines[0].promised_date.isoformat() == later
    assert po.lines[0].received_quantity == 250
    assert h.load(browser_app, rid).status == "closed"

    # The buyer exports the dossier: the PDF, the records and an audit chain that verifies.
    with page.expect_download() as download:
        page.click("[data-testid=export-dossier]")
    with zipfile.ZipFile(download.value.path()) as archive:
        assert archive.read("audit/VERIFICATION.txt").decode().startswith("VERIFIED")
        assert archive.read(f"revisions/{po.number}-rev0.pdf").startswith(b"%PDF")
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["audit_chain"]["verified"] is True and manifest["missing"] == []
        events = archive.read("audit/events.jsonl").decode()
        assert "purchase_order.close" in events and "supplier_link" in events
