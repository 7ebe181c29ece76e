"""Setting up a provider's subscription (Stripe Checkout) and managing its
payment (Stripe's customer portal). Both hand the provider admin to a Stripe
page; the subscription itself arrives by webhook (``webhooks``)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.errors import Conflict
from baton.platform.stripe_client import stripe_client
from baton.tenants.billing.accounts import account_for, ensure_customer
from baton.tenants.billing.models import BillingAccount, Plan
from baton.tenants.billing.states import BILLING_ACCOUNT
from baton.tenants.billing.stripe_catalog import publish

NO_STRIPE = (
    "Billing runs without Stripe here (embedded mode): there is no subscription to set up"
    " or payment to manage. Usage is still recorded."
)


def account_of(session: Session, provider_id: uuid.UUID) -> BillingAccount | None:
    """The account as it is, without making one (a page's read)."""
    return session.scalar(
        sa.select(BillingAccount).where(BillingAccount.provider_id == provider_id)
    )


def _client():
    client = stripe_client()
    if client is None:
        raise Conflict(NO_STRIPE)
    return client


def start_checkout(
    session: Session, provider_id: uuid.UUID, *, success_url: str, cancel_url: str
) -> str:
    """A Checkout session for the provider's plan; the address to send the admin to."""
    client = _client()
    account = account_for(session, provider_id, lock=True)
    if account.status in ("active", "past_due", "unpaid"):
        raise Conflict(
            f"The subscription is {BILLING_ACCOUNT.label(account.status).lower()}; manage"
            " payment instead of setting up another one."
        )
    plan = session.get(Plan, account.plan_id) if account.plan_id else None
    if plan is None or plan.archived_at is not None:
        raise Conflict("No plan is assigned to this organisation yet; ask the Baton operator.")
    customer = ensure_customer(session, provider_id)
    prices = publish(session, plan)
    line_items = [{"price": prices["base"], "quantity": 1}]
    # Metered prices take no quantity: Stripe reads it from the meter.
    line_items += [{"price": price} for _, price in sorted(prices["metered"].items())]
    checkout = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": customer,
            "client_reference_id": str(provider_id),
            "line_items": line_items,
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": {"baton_provider_id": str(provider_id), "baton_plan_id": str(plan.id)},
            "subscription_data": {"metadata": {"baton_provider_id": str(provider_id)}},
        },
        # One checkout per account, plan version and status change: a double
        # click gets the same session back, a later attempt a fresh one.
        options={
            "idempotency_key": f"checkout:{provider_id}:{prices['version']}:"
            f"{account.status}:{int(account.updated_at.timestamp())}"
        },
    )
    return checkout.url


def portal_url(session: Session, provider_id: uuid.UUID, *, return_url: str) -> str:
    client = _client()
    customer = ensure_customer(session, provider_id)
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": customer, "return_url": return_url},
        options={"idempotency_key": f"portal:{provider_id}:{uuid.uuid4()}"},
    )
    return portal.url
