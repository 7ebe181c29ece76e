"""What the SLA rollup keeps: one measure per measured thing, monthly figures, credits.

All three live in the client's tenant with the provider that works the
engagement (the "provider" row-level-security policy): the client sees its
figures with every provider, a provider only its own. The scheduled rollup
(``rollup.py``, cross-tenant, the service role) writes them; pages only read.

* ``SlaMeasure``: one row per (metric, subject): a requirement's handoff to
  release, a PO's acknowledgement, an order line's delivery... with the
  business hours it took split by whose time it was. Drill-down and breach
  lists read these.
* ``SlaMonthly``: per engagement, month, metric (and cause, where a metric is
  counted by cause): counts, breaches by party, exact percentiles. Dashboards
  read these small rows.
* ``SlaCredit``: the month's credit from missed targets, for billing to apply.
* ``SlaRollupMark``: per tenant, the last audit sequence the rollup has read.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from baton.platform.db import Base, IdMixin, ProviderOwned, utcnow

HOURS = sa.Numeric(14, 6)


class SlaMeasure(IdMixin, ProviderOwned, Base):
    __tablename__ = "sla_measures"

    engagement_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    metric: Mapped[str] = mapped_column(sa.String(32))
    subject_type: Mapped[str] = mapped_column(sa.String(32))
    subject_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    # What people call it: "REQ-17 Pump seals", "ACME-000123 line 2".
    subject_label: Mapped[str] = mapped_column(sa.String(240))
    # The order (for PO, line, issue and change-order measures) and the requirement.
    po_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    requirement_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    supplier_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    buyer_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    # A return reason, an issue's cause, a change order's cause.
    cause: Mapped[str | None] = mapped_column(sa.String(32))
    # The first of the month (in the engagement's zone) the measure counts in.
    period: Mapped[date | None]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    # When the owner's clock runs out if nothing else stops it (open measures).
    due_at: Mapped[datetime | None]
    elapsed_hours: Mapped[Decimal | None] = mapped_column(HOURS)
    provider_hours: Mapped[Decimal | None] = mapped_column(HOURS)
    client_hours: Mapped[Decimal | None] = mapped_column(HOURS)
    supplier_hours: Mapped[Decimal | None] = mapped_column(HOURS)
    # Within the target on all the time (what the client experienced); None: not judged yet.
    within: Mapped[bool | None]
    # Within the target on the owner's own time: what the owner's compliance counts.
    owner_met: Mapped[bool | None]
    # Whose time it was when it missed: provider, client or supplier.
    breach_party: Mapped[str | None] = mapped_column(sa.String(16))
    # Deliveries: in full, on time by the promised date and by the need-by date.
    in_full: Mapped[bool | None]
    on_time: Mapped[bool | None]
    on_time_need_by: Mapped[bool | None]
    # A metric's number (lead-time variance in days, a 1 for a return...).
    value: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 4))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "metric", "subject_id", name="uq_sla_measures_subject"),
        sa.Index("ix_sla_measures_period", "tenant_id", "engagement_id", "period", "metric"),
        sa.Index("ix_sla_measures_subject", "tenant_id", "subject_id"),
        sa.Index("ix_sla_measures_due", "due_at"),
        sa.Index("ix_sla_measures_supplier", "tenant_id", "supplier_id", "period"),
    )


class SlaMonthly(IdMixin, ProviderOwned, Base):
    __tablename__ = "sla_monthly"

    engagement_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    period: Mapped[date]
    metric: Mapped[str] = mapped_column(sa.String(32))
    # "" for the metric as a whole; a cause for its break-down by cause.
    cause: Mapped[str] = mapped_column(sa.String(32), default="")
    items: Mapped[int] = mapped_column(default=0)
    # Judged (closed, or open and past its limit); of those, within the limit on all
    # time, and missed on the owner's own time (compliance is 1 - owner_missed / judged).
    judged: Mapped[int] = mapped_column(default=0)
    within: Mapped[int] = mapped_column(default=0)
    owner_missed: Mapped[int] = mapped_column(default=0)
    breaches_provider: Mapped[int] = mapped_column(default=0)
    breaches_client: Mapped[int] = mapped_column(default=0)
    breaches_supplier: Mapped[int] = mapped_column(default=0)
    in_full: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)
    on_time_need_by: Mapped[int] = mapped_column(default=0)
    need_by_judged: Mapped[int] = mapped_column(default=0)
    p50_hours: Mapped[Decimal | None] = mapped_column(HOURS)
    p90_hours: Mapped[Decimal | None] = mapped_column(HOURS)
    provider_hours: Mapped[Decimal | None] = mapped_column(HOURS)
    client_hours: Mapped[Decimal | None] = mapped_column(HOURS)
    supplier_hours: Mapped[Decimal | None] = mapped_column(HOURS)
    value_sum: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 4))
    value_mean: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 4))
    value_stddev: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 4))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint(
            "tenant_id", "engagement_id", "period", "metric", "cause", name="uq_sla_monthly_key"
        ),
        sa.Index("ix_sla_monthly_provider_period", "provider_id", "period"),
    )


class SlaCredit(IdMixin, ProviderOwned, Base):
    __tablename__ = "sla_credits"

    engagement_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    period: Mapped[date]
    # [{"metric", "target_percent", "actual_percent", "credit_percent"}] per missed target.
    missed: Mapped[list] = mapped_column(sa.JSON, default=list)
    credit_percent: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal(0))
    fee: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 2))
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(18, 2), default=Decimal(0))
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "engagement_id", "period", name="uq_sla_credits_key"),
    )


class SlaRollupMark(Base):
    """Per tenant, the audit sequence up to which the rollup has read: only the
    rollup (service role) reads or writes it."""

    __tablename__ = "sla_rollup_marks"

    tenant_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    rolled_at: Mapped[datetime | None]
