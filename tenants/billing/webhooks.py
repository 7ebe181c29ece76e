"""What Stripe's webhook events do to a provider's billing account.

The endpoint (``platform.stripe_webhook``) queues each signed event once;
this job stores it (``StripeEvent``, by Stripe's id: a second delivery finds
it processed and changes nothing) and moves the account's status through
``BILLING_ACCOUNT``, audited in the provider's own chain.

It is declared cross-tenant: an event names a Stripe customer, not a
tenant, so the job arrives with no tenant context, learns the provider from
the directory (``billing_accounts``) and then writes that provider's audit
chain, which row-level security allows only to the provider's context or
the service role. It touches exactly one provider per event.

Thin events (a v2 event destination, ``object: v2.core.event``) name no
customer; the one Baton takes, Stripe's meter error report, is handled by
``meter_errors`` through the same store-once path.

Stripe does not promise order. Each event carries its ``created`` time; the
account keeps the time of the newest event that set its status
(``status_event_at``), and an older event arriving late is stored with its
outcome but moves nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform import audit
from baton.platform.db import utcnow
from baton.platform.jobs import job
from baton.tenants.billing import meter_errors
from baton.tenants.billing.models import BillingAccount, StripeEvent
from baton.tenants.billing.states import BILLING_ACCOUNT, STRIPE_STATUS, action_to

JOB = "billing.stripe_event"
BEHIND = BILLING_ACCOUNT.group("behind")


@job(
    JOB,
    queue="high",
    label="Stripe event",
    cross_tenant=True,
    entity=lambda p: ("stripe_event", p["event"]["id"]),
)
def stripe_event(session: Session, payload: dict) -> None:
    event = payload["event"]
    stored = _stored(session, event)
    if stored.processed_at is not None:
        return
    if meter_errors.is_thin(event):
        stored.outcome = meter_errors.apply(session, stored, event)[:200]
        stored.processed_at = utcnow()
        return
    account = _account_for(session, event)
    if account is None:
        stored.outcome = "no billing account for this Stripe customer"
    else:
        stored.provider_id = account.provider_id
        stored.outcome = apply(session, account, event)[:200]
    stored.processed_at = utcnow()


def _stored(session: Session, event: dict) -> StripeEvent:
    stored = session.get(StripeEvent, event["id"], with_for_update=True)
    if stored is not None:
        return stored
    stored = StripeEvent(
        id=event["id"],
        type=str(event.get("type", ""))[:80],
        stripe_created_at=_created(event),
        received_at=utcnow(),
        payload=event,
    )
    try:
        with session.begin_nested():
            session.add(stored)
            session.flush([stored])
    except sa.exc.IntegrityError:
        # Delivered twice at once: the other run stored it first.
        stored = session.get(StripeEvent, event["id"], with_for_update=True, populate_existing=True)
    return stored


def _created(event: dict) -> datetime:
    created = event.get("created") or 0
    if isinstance(created, str):
        # A thin event's time is RFC 3339 (``2026-12-03T07:10:00.250Z``).
        return datetime.fromisoformat(created.replace("Z", "+00:00"))
    return datetime.fromtimestamp(int(created), UTC)


def _object(event: dict) -> dict:
    return (event.get("data") or {}).get("object") or {}


def _account_for(session: Session, event: dict) -> BillingAccount | None:
    obj = _object(event)
    customer = obj.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    query = sa.select(BillingAccount).with_for_update()
    if customer:
        found = session.scalar(query.where(BillingAccount.stripe_customer_id == customer))
        if found is not None:
            return found
    # A checkout we started names the provider itself (client_reference_id).
    reference = obj.get("client_reference_id") or (obj.get("metadata") or {}).get(
        "baton_provider_id"
    )
    try:
        provider_id = uuid.UUID(str(reference)) if reference else None
    except ValueError:
        return None
    if provider_id is None:
        return None
    return session.scalar(query.where(BillingAccount.provider_id == provider_id))


def _subscription_of(event: dict) -> str | None:
    obj = _object(event)
    if event.get("type", "").startswith("customer.subscription."):
        return obj.get("id")
    sub = obj.get("subscription")
    if sub is None:
        # Newer API versions put an invoice's subscription under ``parent``.
        sub = ((obj.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    return sub.get("id") if isinstance(sub, dict) else sub


def target_status(event: dict) -> str | None:
    """The status the event says the account is in; None: not about status."""
    kind, obj = event.get("type"), _object(event)
    if kind == "checkout.session.completed":
        if obj.get("mode") != "subscription":
            return None
        paid = obj.get("payment_status") in ("paid", "no_payment_required")
        return "active" if paid else "incomplete"
    if kind in ("customer.subscription.created", "customer.subscription.updated"):
        return STRIPE_STATUS.get(obj.get("status"))
    if kind == "customer.subscription.deleted":
        return "canceled"
    if kind == "invoice.paid":
        return "active"
    if kind == "invoice.payment_failed":
        return "past_due"
    return None


def apply(session: Session, account: BillingAccount, event: dict) -> str:
    """Move ``account`` as ``event`` says, unless a newer event already did; the outcome."""
    target = target_status(event)
    if target is None:
        return "not about the billing status"
    created = _created(event)
    if account.status_event_at is not None and created < account.status_event_at:
        return f"older than the event that made the account {account.status}; not applied"
    subscription = _subscription_of(event)
    changes: dict[str, list[Any]] = {}
    if event.get("type") == "checkout.session.completed":
        if subscription and subscription != account.stripe_subscription_id:
            changes["stripe_subscription_id"] = [account.stripe_subscription_id, subscription]
            account.stripe_subscription_id = subscription
    elif account.stripe_subscription_id and subscription not in (
        None,
        account.stripe_subscription_id,
    ):
        return f"about subscription {subscription}, not the account's; not applied"
    if target in BEHIND and account.past_due_since is None:
        changes["past_due_since"] = [None, created]
        account.past_due_since = created
    elif target == "active" and account.past_due_since is not None:
        changes["past_due_since"] = [account.past_due_since, None]
        account.past_due_since = None
    account.status_event_at = created
    before = account.status
    if before == target:
        if changes:
            account.updated_at = utcnow()
            _audit_fields(session, account, event, changes)
        return f"already {target}"
    action = action_to(before, target)
    if action is None:
        if changes:
            _audit_fields(session, account, event, changes)
        return f"{before} cannot become {target}; status kept"
    BILLING_ACCOUNT.apply(
        session,
        account,
        action,
        changes=changes | {"stripe_event": [None, event["id"]]},
        audit_tenant_id=account.provider_id,
        audit_provider_id=account.provider_id,
    )
    return f"{before} -> {target}"


def _audit_fields(session: Session, account: BillingAccount, event: dict, changes: dict) -> None:
    audit.record(
        session,
        tenant_id=account.provider_id,
        provider_id=account.provider_id,
        action="billing_account.updated",
        entity_type="billing_account",
        entity_id=account.id,
        changes=changes | {"stripe_event": [None, event["id"]]},
    )
