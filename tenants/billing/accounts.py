"""Each provider's billing account, and its Stripe customer, created on demand."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.stripe_client import stripe_client
from baton.tenants.billing.models import BillingAccount
from baton.tenants.models import Membership, Organisation, User


def account_for(session: Session, provider_id: uuid.UUID, *, lock: bool = False) -> BillingAccount:
    """The provider's account, created (without a plan, status "none") the first time."""
    query = sa.select(BillingAccount).where(BillingAccount.provider_id == provider_id)
    account = session.scalar(query.with_for_update() if lock else query)
    if account is None:
        account = BillingAccount(id=uuid.uuid4(), provider_id=provider_id, status="none")
        session.add(account)
        session.flush()
    return account


def ensure_customer(session: Session, provider_id: uuid.UUID) -> str | None:
    """The provider's Stripe customer id, creating the customer the first time;
    None without Stripe (embedded mode). The idempotency key is the provider's,
    so a request retried after a lost answer finds the same customer."""
    client = stripe_client()
    account = account_for(session, provider_id, lock=True)
    if account.stripe_customer_id or client is None:
        return account.stripe_customer_id
    provider = session.get(Organisation, provider_id)
    customer = client.v1.customers.create(
        params={
            "name": provider.name,
            "email": _billing_email(session, provider_id),
            "metadata": {"baton_provider_id": str(provider_id), "baton_slug": provider.slug},
        },
        options={"idempotency_key": f"customer:{provider_id}"},
    )
    account.stripe_customer_id = customer.id
    return customer.id


def _billing_email(session: Session, provider_id: uuid.UUID) -> str | None:
    return session.scalar(
        sa.select(User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organisation_id == provider_id,
            Membership.role == "admin",
            Membership.is_active,
        )
        .order_by(User.email)
        .limit(1)
    )
