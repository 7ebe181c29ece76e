"""With Stripe configured, the billing page lists the provider's invoices from
Stripe (the stand-in over HTTP) with their PDF links, and only its own."""

from __future__ import annotations

import pytest

from baton.tenants.billing import accounts
from tests.support import requirements as h
from tests.support.world import login, make_world

pytestmark = pytest.mark.postgres


def test_the_provider_admin_sees_its_stripe_invoices_and_pdfs(stripe_app, stripe_server):
    app = stripe_app
    world = make_world(app)
    customers = {}
    for org in ("north", "other"):
        with h.service_session(app) as session:
            customers[org] = accounts.ensure_customer(session, world.orgs[org])
    mine = stripe_server.invoice(
        customers["north"], amount_due=60022, currency="eur", number=f"N-{world.suffix}"
    )
    stripe_server.invoice(customers["other"], amount_due=100, number=f"O-{world.suffix}")
    client = app.test_client()
    login(client, world.email("north_admin"))
    text = client.get("/provider/billing").get_data(as_text=True)
    assert f"N-{world.suffix}" in text and "€600.22" in text
    assert mine["invoice_pdf"] in text
    assert f"O-{world.suffix}" not in text
    assert "nothing is sent to Stripe" not in text
    listed = stripe_server.received("/v1/invoices")
    assert any(r["method"] == "GET" for r in listed)


def test_when_stripe_fails_the_page_still_shows_the_statement(stripe_app, stripe_server):
    app = stripe_app
    world = make_world(app)
    with h.service_session(app) as session:
        accounts.ensure_customer(session, world.orgs["north"])
    stripe_server.fail("/v1/invoices", 500, count=5)
    client = app.test_client()
    login(client, world.email("north_admin"))
    page = client.get("/provider/billing")
    assert page.status_code == 200
    assert "Stripe could not be reached just now" in page.get_data(as_text=True)
