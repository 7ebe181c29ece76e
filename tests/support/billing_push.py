"""The push to Stripe for tests: run it for chosen providers, read back what
the ledger and the stand-in hold (its events and its log of stream POSTs)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import Flask

from baton.platform.db import utcnow
from baton.tenants.billing import ledger, push
from baton.tenants.billing.models import BillingAccount, UsageEvent
from baton.tenants.billing.push_models import PushPause
from tests.support import requirements as h
from tests.support.stripe_standin import StripeStandIn
from tests.support.world import World

STREAM = "/v2/billing/meter_event_stream"
SESSIONS = "/v2/billing/meter_event_session"


def run_push(app: Flask, *provider_ids: uuid.UUID, **options) -> push.PushResult:
    with app.app_context():
        return push.run(provider_ids, **options)


def customer_of(app: Flask, provider_id: uuid.UUID) -> str | None:
    with h.service_session(app) as session:
        return session.scalar(
            sa.select(BillingAccount.stripe_customer_id).where(
                BillingAccount.provider_id == provider_id
            )
        )


def ledger_events(app: Flask, *provider_ids: uuid.UUID) -> list[UsageEvent]:
    with h.service_session(app) as session:
        rows = session.scalars(
            sa.select(UsageEvent)
            .where(UsageEvent.provider_id.in_(provider_ids))
            .order_by(UsageEvent.occurred_at, UsageEvent.key)
        ).all()
        session.expunge_all()
        return list(rows)


def ledger_totals(app: Flask, provider_id: uuid.UUID, pushed_only: bool = True) -> dict:
    """{metric: sum of quantity} of the provider's (pushed) events."""
    totals: dict[str, Decimal] = {}
    for e in ledger_events(app, provider_id):
        if e.pushed_at is not None or not pushed_only:
            totals[e.metric] = totals.get(e.metric, Decimal(0)) + e.quantity
    return totals


def standin_events(stripe: StripeStandIn, customer: str | None) -> dict[str, dict]:
    """The stand-in's meter events for one customer, by identifier."""
    return {
        identifier: event
        for identifier, event in stripe.objects("meter_events").items()
        if event["payload"].get("stripe_customer_id") == customer
    }


def standin_totals(stripe: StripeStandIn, customer: str | None) -> dict:
    """{metric: sum of values} of the stand-in's events for one customer."""
    totals: dict[str, Decimal] = {}
    for event in standin_events(stripe, customer).values():
        metric = event["event_name"].removeprefix("baton_")
        totals[metric] = totals.get(metric, Decimal(0)) + Decimal(event["payload"]["value"])
    return totals


def stream_posts(stripe: StripeStandIn) -> list[dict]:
    """The stand-in's log of POSTs to the v2 meter event stream (body: ``params``)."""
    return stripe.received(STREAM)


def sessions_made(stripe: StripeStandIn) -> int:
    return sum(r["status"] == 200 for r in stripe.received(SESSIONS))


def identifiers(post: dict) -> list[str]:
    """The identifiers a logged stream POST carried (none if it was malformed)."""
    events = post["params"].get("events")
    if not isinstance(events, list):
        return []
    return [e.get("identifier") for e in events if isinstance(e, dict)]


def counted_identifiers(stripe: StripeStandIn) -> list[str]:
    """Identifiers of every event in a stream POST Stripe took as new (202, not a
    replay), in order: each ledger key should appear once."""
    return [
        identifier
        for r in stream_posts(stripe)
        if r["status"] == 202 and not r["replayed"]
        for identifier in identifiers(r)
    ]


def record_usage(app: Flask, world: World, count: int, metric: str = "supplier_chase_sent"):
    """``count`` usage events of north for acme over the last hours, straight into
    the ledger (as the acts would record them); their keys."""
    keys = [f"{metric}:{uuid.uuid4()}" for _ in range(count)]
    start = utcnow() - timedelta(hours=6)
    with h.service_session(app) as session:
        for n, key in enumerate(keys):
            ledger.record_quantity(
                session,
                metric=metric,
                key=key,
                quantity=Decimal(1 + n % 3),
                tenant_id=world.orgs["acme"],
                provider_id=world.orgs["north"],
                occurred_at=start + timedelta(seconds=n),
                entity_type="purchase_order",
                entity_id=str(uuid.uuid4()),
            )
    return keys


def unpush(app: Flask, keys: list[str]) -> None:
    """As if the worker had died before its batch committed: the rows are unpushed."""
    with h.service_session(app) as session:
        session.execute(
            sa.update(UsageEvent).where(UsageEvent.key.in_(keys)).values(pushed_at=None)
        )


def clear_pause(app: Flask) -> None:
    with h.service_session(app) as session:
        session.execute(sa.delete(PushPause))
