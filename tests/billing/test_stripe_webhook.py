"""Stripe's webhook: signed events move the provider's billing status once, in
Stripe's order, whatever order and however often they arrive."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from baton.platform.audit import AuditEvent
from tests.support import requirements as h
from tests.support import stripe_billing as b
from tests.support.stripe_standin import event, signed
from tests.support.world import make_world


@pytest.fixture
def north(stripe_app):
    world = make_world(stripe_app)
    customer = b.customer_for(stripe_app, world.orgs["north"])
    return world, world.orgs["north"], customer


def _sub_event(kind, customer, sub="sub_1", status="active", created=None):
    return event(
        kind, {"id": sub, "object": "subscription", "customer": customer, "status": status}, created
    )


def _invoice(kind, customer, sub="sub_1", created=None):
    return event(
        kind,
        {"id": "in_1", "object": "invoice", "customer": customer, "subscription": sub},
        created,
    )


def test_a_signed_event_is_accepted_and_moves_the_status_in_the_providers_audit_chain(
    stripe_app, north
):
    _, provider, customer = north
    b.set_account(stripe_app, provider, stripe_subscription_id="sub_1", status="active")
    evt = _invoice("invoice.payment_failed", customer)
    response = b.deliver(stripe_app, evt)
    assert response.status_code == 200, response.text
    acct = b.account(stripe_app, provider)
    assert acct.status == "past_due"
    assert int(acct.past_due_since.timestamp()) == evt["created"]
    stored = b.stored_event(stripe_app, evt["id"])
    assert stored.provider_id == provider and stored.outcome == "active -> past_due"
    with h.service_session(stripe_app) as session:
        actions = session.scalars(
            sa.select(AuditEvent.action).where(
                AuditEvent.tenant_id == provider, AuditEvent.entity_type == "billing_account"
            )
        ).all()
    assert actions == ["billing_account.fall_behind"]


@pytest.mark.parametrize(
    "tamper",
    ["wrong_secret", "stale", "body_changed", "no_header"],
)
def test_a_wrong_or_stale_signature_is_refused_with_400_and_changes_nothing(
    stripe_app, north, tamper
):
    _, provider, customer = north
    b.set_account(stripe_app, provider, stripe_subscription_id="sub_1", status="active")
    evt = _invoice("invoice.payment_failed", customer)
    if tamper == "wrong_secret":
        body, headers = signed(evt, secret="whsec_someone_else")
    elif tamper == "stale":
        body, headers = signed(evt, timestamp=int(time.time()) - 301)
    elif tamper == "body_changed":
        body, headers = signed(evt)
        body = body.replace(b"invoice.payment_failed", b"invoice.paid")
    else:
        body, headers = signed(evt)
        headers.pop("Stripe-Signature")
    response = stripe_app.test_client().post(b.WEBHOOK, data=body, headers=headers)
    assert response.status_code == 400
    assert "signature" in response.get_json()["message"].lower()
    assert b.account(stripe_app, provider).status == "active"
    assert b.stored_event(stripe_app, evt["id"]) is None
    assert b.outbox_rows(stripe_app, evt["id"]) == 0


def test_a_signed_body_that_is_not_json_is_refused_with_400(stripe_app):
    body = b"not json at all"
    from tests.support.stripe_standin import sign

    response = stripe_app.test_client().post(
        b.WEBHOOK, data=body, headers={"Stripe-Signature": sign(body)}
    )
    assert response.status_code == 400


def test_a_replayed_event_changes_nothing(stripe_app, north):
    _, provider, customer = north
    b.set_account(stripe_app, provider, stripe_subscription_id="sub_1", status="active")
    failed = _invoice("invoice.payment_failed", customer, created=int(time.time()) - 60)
    assert b.deliver(stripe_app, failed).status_code == 200
    paid = _invoice("invoice.paid", customer)
    assert b.deliver(stripe_app, paid).status_code == 200
    assert b.account(stripe_app, provider).status == "active"
    # Stripe retries the failure (same event id, signed afresh): answered, not applied again.
    assert b.deliver(stripe_app, failed).status_code == 200
    acct = b.account(stripe_app, provider)
    assert acct.status == "active" and acct.past_due_since is None
    assert b.outbox_rows(stripe_app, failed["id"]) == 1
    with h.service_session(stripe_app) as session:
        moves = session.scalar(
            sa.select(sa.func.count()).where(
                AuditEvent.tenant_id == provider, AuditEvent.entity_type == "billing_account"
            )
        )
    assert moves == 2


def test_events_in_reverse_order_leave_the_status_of_the_newest(stripe_app, north):
    _, provider, customer = north
    b.set_account(stripe_app, provider, stripe_subscription_id="sub_1", status="active")
    t = int(time.time()) - 600
    story = [
        _invoice("invoice.payment_failed", customer, created=t),
        _sub_event("customer.subscription.updated", customer, status="past_due", created=t + 1),
        _invoice("invoice.paid", customer, created=t + 100),
        _sub_event("customer.subscription.updated", customer, status="active", created=t + 101),
        _sub_event("customer.subscription.deleted", customer, status="canceled", created=t + 500),
    ]
    for evt in reversed(story):
        assert b.deliver(stripe_app, evt).status_code == 200
    acct = b.account(stripe_app, provider)
    assert acct.status == "canceled"
    assert acct.past_due_since is None
    assert int(acct.status_event_at.timestamp()) == t + 500
    outcomes = [b.stored_event(stripe_app, e["id"]).outcome for e in story[:-1]]
    assert all("older" in o for o in outcomes), outcomes


def test_a_late_payment_failure_does_not_undo_a_newer_payment(stripe_app, north):
    _, provider, customer = north
    b.set_account(stripe_app, provider, stripe_subscription_id="sub_1", status="past_due")
    t = int(time.time()) - 120
    b.deliver(stripe_app, _invoice("invoice.paid", customer, created=t + 60))
    b.deliver(stripe_app, _invoice("invoice.payment_failed", customer, created=t))
    acct = b.account(stripe_app, provider)
    assert acct.status == "active" and acct.past_due_since is None


def test_an_event_about_another_providers_customer_leaves_this_provider_alone(stripe_app, north):
    world, provider, customer = north
    other_customer = b.customer_for(stripe_app, world.orgs["other"])
    b.set_account(stripe_app, provider, stripe_subscription_id="sub_1", status="active")
    b.set_account(stripe_app, world.orgs["other"], stripe_subscription_id="sub_2", status="active")
    b.deliver(stripe_app, _invoice("invoice.payment_failed", other_customer, sub="sub_2"))
    assert b.account(stripe_app, provider).status == "active"
    assert b.account(stripe_app, world.orgs["other"]).status == "past_due"
    assert customer != other_customer
