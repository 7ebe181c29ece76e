"""Setting up the subscription through Stripe Checkout, managing payment in the
portal, and what a past-due account means for the provider's console."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from baton.platform.db import utcnow
from baton.tenants.models import Invitation
from tests.support import requirements as h
from tests.support import shipments as s
from tests.support import stripe_billing as b
from tests.support.world import login, make_world


@pytest.fixture
def world(stripe_app):
    return make_world(stripe_app)


def _signed_in(app, world, who):
    web = app.test_client()
    login(web, world.email(who))
    return web


def test_checkout_carries_the_plans_prices_and_completing_it_makes_the_account_active(
    stripe_app, stripe_server, world
):
    provider = world.orgs["north"]
    b.plan_for(stripe_app, provider)
    web = _signed_in(stripe_app, world, "north_admin")
    page = web.get("/provider/billing")
    assert "Set up subscription" in page.text and "No subscription" in page.text

    answer = web.post("/provider/billing/subscription/checkout")
    assert answer.status_code == 303
    session_id = answer.headers["Location"].rsplit("/", 1)[1]
    assert answer.headers["Location"].startswith(stripe_server.url)

    [request] = [
        r
        for r in stripe_server.received("/v1/checkout/sessions")
        if r["params"].get("client_reference_id") == str(provider)
    ]
    acct = b.account(stripe_app, provider)
    prices = stripe_server.objects("prices")
    assert request["idempotency_key"].startswith(f"checkout:{provider}:")
    params = request["params"]
    assert params["mode"] == "subscription" and params["customer"] == acct.stripe_customer_id
    assert params["success_url"].endswith("/provider/billing")
    base, *metered = params["line_items"]
    assert base["quantity"] == "1" and prices[base["price"]]["unit_amount"] == 9900
    assert all("quantity" not in item for item in metered) and len(metered) == 2
    po_price = next(
        prices[i["price"]]
        for i in metered
        if prices[i["price"]]["metadata"]["baton_metric"] == "po_released"
    )
    assert po_price["tiers_mode"] == "graduated"
    assert po_price["tiers"] == [
        {"up_to": "100", "unit_amount_decimal": "0"},
        {"up_to": "1000", "unit_amount_decimal": "40"},
        {"up_to": "inf", "unit_amount_decimal": "25"},
    ]
    meter = stripe_server.objects("meters")[po_price["recurring"]["meter"]]
    assert meter["event_name"] == "baton_po_released"

    completed = stripe_server.complete_checkout(session_id)
    assert b.deliver(stripe_app, completed).status_code == 200
    acct = b.account(stripe_app, provider)
    assert acct.status == "active"
    assert acct.stripe_subscription_id == completed["data"]["object"]["subscription"]
    subscription = stripe_server.objects("subscriptions")[acct.stripe_subscription_id]
    assert len(subscription["items"]["data"]) == 3
    page = web.get("/provider/billing")
    assert "Active" in page.text and "Set up subscription" not in page.text


def test_publishing_the_same_plan_twice_makes_no_new_prices(stripe_app, stripe_server, world):
    provider = world.orgs["north"]
    plan_id = b.plan_for(stripe_app, provider)
    web = _signed_in(stripe_app, world, "north_admin")
    web.post("/provider/billing/subscription/checkout")
    before = [
        p
        for p in stripe_server.objects("prices").values()
        if p["metadata"].get("baton_plan_id") == str(plan_id)
    ]
    web.post("/provider/billing/subscription/checkout")
    after = [
        p
        for p in stripe_server.objects("prices").values()
        if p["metadata"].get("baton_plan_id") == str(plan_id)
    ]
    assert len(before) == len(after) == 3


def test_manage_payment_opens_the_portal_for_the_providers_own_customer(
    stripe_app, stripe_server, world
):
    provider = world.orgs["north"]
    web = _signed_in(stripe_app, world, "north_admin")
    answer = web.post("/provider/billing/subscription/portal")
    assert answer.status_code == 303 and "/_standin/portal/" in answer.headers["Location"]
    portal = stripe_server.objects("portal_sessions")[answer.headers["Location"].rsplit("/", 1)[1]]
    assert portal["customer"] == b.account(stripe_app, provider).stripe_customer_id


def test_a_buyer_cannot_set_up_billing_and_another_provider_sees_only_its_own(
    stripe_app, stripe_server, world
):
    b.plan_for(stripe_app, world.orgs["north"])
    b.customer_for(stripe_app, world.orgs["north"])
    b.set_account(stripe_app, world.orgs["north"], status="past_due", past_due_since=utcnow())
    buyer = _signed_in(stripe_app, world, "north_buyer")
    assert buyer.post("/provider/billing/subscription/checkout").status_code == 403
    assert buyer.get("/provider/billing").status_code == 403
    other = _signed_in(stripe_app, world, "other_admin")
    page = other.get("/provider/billing")
    assert "No subscription" in page.text and "Past due" not in page.text
    portal = other.post("/provider/billing/subscription/portal")
    opened = stripe_server.objects("portal_sessions")[portal.headers["Location"].rsplit("/", 1)[1]]
    assert opened["customer"] != b.account(stripe_app, world.orgs["north"]).stripe_customer_id
    client = _signed_in(stripe_app, world, "acme_admin")
    assert client.get("/provider/billing").status_code == 404


def test_without_stripe_the_buttons_are_gone_and_the_actions_change_nothing(pg_app, pg_world):
    web = pg_app.test_client()
    login(web, pg_world.email("north_admin"))
    page = web.get("/provider/billing")
    assert "Set up subscription" not in page.text and "embedded mode" in page.text
    answer = web.post("/provider/billing/subscription/checkout", follow_redirects=True)
    assert "embedded mode" in answer.text
    with h.service_session(pg_app) as session:
        from baton.tenants.billing.models import BillingAccount

        assert (
            session.scalar(sa.select(BillingAccount).filter_by(provider_id=pg_world.orgs["north"]))
            is None
        )


def _invite(web, email):
    page = web.get("/organisation/members")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    return web.post(
        "/organisation/members/invite",
        data={
            "email": email,
            "role": "viewer",
            **({"csrf_token": token.group(1)} if token else {}),
        },
    )


def _invitations(app, org_id, email):
    with h.service_session(app) as session:
        return session.scalars(
            sa.select(Invitation.email).filter_by(organisation_id=org_id, email=email)
        ).all()


def test_past_due_shows_the_admins_a_banner_and_the_console_still_works(stripe_app, world):
    provider = world.orgs["north"]
    b.customer_for(stripe_app, provider)
    b.set_account(
        stripe_app, provider, status="past_due", past_due_since=utcnow() - timedelta(days=3)
    )
    admin = _signed_in(stripe_app, world, "north_admin")
    page = admin.get("/provider/sla/")
    assert 'data-testid="past-due-banner"' in page.text and "Manage payment" in page.text
    assert "becomes read-only" in page.text
    buyer = _signed_in(stripe_app, world, "north_buyer")
    assert "past-due-banner" not in buyer.get("/provider/sla/").text
    email = f"new.{uuid.uuid4().hex[:6]}@example.com"
    assert _invite(admin, email).status_code == 302
    assert _invitations(stripe_app, provider, email) == [email]


def test_after_the_grace_period_provider_writes_are_refused_and_everyone_else_works(
    stripe_app, world
):
    provider = world.orgs["north"]
    po_id = s.acknowledged(stripe_app, world)
    token = s.token(stripe_app, po_id)
    b.customer_for(stripe_app, provider)
    b.set_account(
        stripe_app, provider, status="past_due", past_due_since=utcnow() - timedelta(days=15)
    )
    admin = _signed_in(stripe_app, world, "north_admin")
    email = f"new.{uuid.uuid4().hex[:6]}@example.com"
    refused = _invite(admin, email)
    assert refused.status_code == 402 and "read-only" in refused.text
    assert _invitations(stripe_app, provider, email) == []
    # Reading still works, with the banner saying why; paying still works.
    page = admin.get("/provider/sla/")
    assert page.status_code == 200 and "the console is read-only" in page.text
    assert admin.get(f"/provider/orders/{po_id}").status_code == 200
    assert admin.post("/provider/billing/subscription/portal").status_code == 303
    # The API refuses with problem JSON too.
    api = stripe_app.test_client().post(
        "/api/v1/provider/purchase-orders",
        json={},
        headers={"Authorization": f"Bearer {_token(stripe_app, world)}"},
    )
    assert api.status_code == 402 and "read-only" in api.get_json()["message"]
    # The client's portal and the supplier's link keep working.
    client = _signed_in(stripe_app, world, "acme_admin")
    assert _invite(client, email).status_code == 302
    supplier = stripe_app.test_client()
    link = supplier.get(f"/supplier/orders/{token}")
    form = s.notice_form(idempotency_key=s.form_key(link.text))
    sent = supplier.post(
        f"/supplier/orders/{token}/shipments", data=form | {"packing_slip": s.slip()}
    )
    assert sent.status_code == 302 and len(s.notices(stripe_app, po_id)) == 1
    # Once paid, the console is writable again.
    b.set_account(stripe_app, provider, status="active", past_due_since=None)
    assert _invite(admin, email).status_code == 302
    assert _invitations(stripe_app, provider, email) == [email]


def _token(app, world) -> str:
    from baton.tenants.models import Organisation
    from baton.tenants.tokens import create_api_token

    with h.service_session(app) as session:
        org = session.get(Organisation, world.orgs["north"])
        text, _ = create_api_token(session, org, name="ERP", role="admin", created_by=None)
        return text
