"""Billing accounts and webhook deliveries for tests (Stripe through the stand-in)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import Flask

from baton.platform.outbox import OutboxMessage
from baton.tenants.billing.accounts import ensure_customer
from baton.tenants.billing.models import BillingAccount, StripeEvent
from tests.support import requirements as h
from tests.support.stripe_standin import signed

WEBHOOK = "/billing/stripe/webhook"


def customer_for(app: Flask, provider_id: uuid.UUID) -> str:
    with h.service_session(app) as session:
        return ensure_customer(session, provider_id)


def deliver(app: Flask, evt: dict, **sign_options):
    """POST ``evt`` to the webhook as Stripe would, signed; the response."""
    body, headers = signed(evt, **sign_options)
    return app.test_client().post(WEBHOOK, data=body, headers=headers)


def account(app: Flask, provider_id: uuid.UUID) -> BillingAccount:
    with h.service_session(app) as session:
        found = session.scalar(sa.select(BillingAccount).filter_by(provider_id=provider_id))
        session.expunge(found)
        return found


def set_account(app: Flask, provider_id: uuid.UUID, **values) -> None:
    with h.service_session(app) as session:
        session.execute(
            sa.update(BillingAccount)
            .where(BillingAccount.provider_id == provider_id)
            .values(**values)
        )


def stored_event(app: Flask, event_id: str) -> StripeEvent | None:
    with h.service_session(app) as session:
        found = session.get(StripeEvent, event_id)
        if found is not None:
            session.expunge(found)
        return found


def outbox_rows(app: Flask, event_id: str) -> int:
    with h.service_session(app) as session:
        return session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.dedup_key == f"stripe-event:{event_id}")
        )


def plan_for(app: Flask, provider_id: uuid.UUID, code: str | None = None) -> uuid.UUID:
    """A plan (EUR 99 a month; released POs 100 included, then 0.40 to 1,000 and
    0.25 beyond; chasers 0.05 each) assigned to the provider."""
    from decimal import Decimal

    from baton.tenants.billing.accounts import account_for
    from baton.tenants.billing.models import Plan

    with h.service_session(app) as session:
        plan = Plan(
            id=uuid.uuid4(),
            code=code or f"std-{uuid.uuid4().hex[:8]}",
            name="Standard",
            currency="EUR",
            base_fee=Decimal("99.00"),
            prices={
                "po_released": {
                    "included": "100",
                    "tiers": [
                        {"up_to": "1000", "unit_price": "0.40"},
                        {"up_to": None, "unit_price": "0.25"},
                    ],
                },
                "supplier_chase_sent": {
                    "included": "0",
                    "tiers": [{"up_to": None, "unit_price": "0.05"}],
                },
            },
        )
        session.add(plan)
        session.flush()
        account_for(session, provider_id).plan_id = plan.id
        return plan.id
