"""What billing keeps: the usage ledger, plans, each provider's billing account.

* ``UsageEvent``: one row per billable act, written in the act's transaction
  (``platform.metering``). ``key`` names the act (``po_released:<po>:<rev>``)
  and is unique, so nothing is metered twice; it is also the Stripe meter
  event's ``identifier``, so nothing is pushed twice either. The row lives in
  the client's tenant with the provider whose work it was ("billing" row-level
  security: the provider sees all of its own, the client its share).
* ``Plan``: defined by a platform operator: a monthly base fee and, per
  metric, the included quantity and graduated tiers of unit prices.
* ``BillingAccount``: per provider: its plan, its Stripe customer and
  subscription, and its billing status (``billing_states.ACCOUNT``).
* ``PlanPeriod``: which plan a provider was on from when to when, so a change
  mid-month is prorated.
* ``StripeEvent``: each webhook event once, by Stripe's event id.
* ``CreditGrant``: an SLA credit passed to Stripe as a customer balance
  credit, once.

Plans, accounts, periods and events are directory tables like organisations
(no row-level security; docs/decisions/0002): every query names the provider.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from baton.platform.db import Base, BillingScoped, IdMixin, utcnow

QUANTITY = sa.Numeric(18, 6)
MONEY = sa.Numeric(18, 4)


class UsageEvent(IdMixin, BillingScoped, Base):
    __tablename__ = "usage_events"

    engagement_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    metric: Mapped[str] = mapped_column(sa.String(40))
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    occurred_at: Mapped[datetime]
    # The act's identity; Stripe's meter-event identifier (at most 100 characters).
    key: Mapped[str] = mapped_column(sa.String(100))
    action: Mapped[str] = mapped_column(sa.String(64))
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[str] = mapped_column(sa.String(64))
    # Pushed to Stripe's meter (embedded mode: never; the page shows what would be).
    pushed_at: Mapped[datetime | None]
    push_attempts: Mapped[int] = mapped_column(default=0)
    # Stripe took the event on the stream, then refused it (meter_errors.py):
    # its code and message, for the person who puts it right.
    push_error: Mapped[str | None] = mapped_column(sa.String(200))

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "key", name="uq_usage_events_key"),
        sa.Index("ix_usage_events_provider_time", "provider_id", "occurred_at"),
        sa.Index("ix_usage_events_unpushed", "pushed_at", "occurred_at"),
    )


class Plan(IdMixin, Base):
    __tablename__ = "billing_plans"

    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    currency: Mapped[str] = mapped_column(sa.String(3))
    base_fee: Mapped[Decimal] = mapped_column(MONEY)
    # {metric: {"included": "100", "tiers": [{"up_to": "1000", "unit_price": "0.40"},
    #  {"up_to": null, "unit_price": "0.25"}]}}: graduated, like Stripe's tiers_mode.
    prices: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # The Stripe price of the base fee, once the plan has been published to Stripe.
    stripe_price_id: Mapped[str | None] = mapped_column(sa.String(64))
    # What publishing made in Stripe (``stripe_catalog``): {"version", "product",
    # "base", "metered": {metric: price id}}; republished when the plan changes.
    stripe_prices: Mapped[dict | None] = mapped_column(sa.JSON)
    archived_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class BillingAccount(IdMixin, Base):
    __tablename__ = "billing_accounts"

    provider_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisations.id"), unique=True)
    plan_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("billing_plans.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default="none")
    stripe_customer_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(sa.String(64))
    # Since when the latest invoice has gone unpaid (the grace period counts from it).
    past_due_since: Mapped[datetime | None]
    # Stripe's ``created`` of the newest event applied: an older one arriving late
    # is recorded but does not move the status back.
    status_event_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanPeriod(IdMixin, Base):
    __tablename__ = "billing_plan_periods"

    provider_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("billing_plans.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    # The plan's terms while this period ran: editing a plan closes its open
    # periods and opens new ones, so a statement of a past month never changes
    # (as a Stripe price, once used, never does).
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    base_fee: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    prices: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class StripeEvent(Base):
    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(80))
    # Stripe's own time for the event (``created``): orders events that arrive out of order.
    stripe_created_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[dict] = mapped_column(sa.JSON)
    provider_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    processed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(sa.String(200))


class CreditGrant(IdMixin, BillingScoped, Base):
    __tablename__ = "billing_credit_grants"

    sla_credit_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    engagement_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    month: Mapped[date]
    # 1 for the credit as first computed; each recomputation that changes the
    # amount adds a correcting grant for the difference (``credits.grant_credit``).
    seq: Mapped[int] = mapped_column(default=1, server_default="1")
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(sa.String(3))
    stripe_transaction_id: Mapped[str | None] = mapped_column(sa.String(64))
    applied_at: Mapped[datetime | None]

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "sla_credit_id", "seq", name="uq_credit_grants_credit"),
    )
