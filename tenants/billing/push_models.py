"""What the push to Stripe and its daily check keep.

* ``PushPause``: until when the push waits after Stripe answered 429 with a
  ``Retry-After`` (one row per pushing process kind; every worker reads it).
* ``Reconciliation``: one comparison of Stripe's meter event summaries with
  the ledger's pushed events, per provider, metric and period (a UTC day or a
  month to date), kept whether or not they agree, so the operators' page can
  say "checked, all equal" as well as "differs by 3".

Both are directory tables (no tenant data; docs/decisions/0002).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from baton.platform.db import Base, IdMixin, utcnow
from baton.tenants.billing.models import QUANTITY


class PushPause(Base):
    __tablename__ = "billing_push_pauses"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    paused_until: Mapped[datetime]
    reason: Mapped[str] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reconciliation(IdMixin, Base):
    __tablename__ = "billing_reconciliations"

    provider_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisations.id"))
    # The UTC day checked; ``period`` says whether the figures are that day's
    # ("day") or from the first of its month to its end ("month").
    day: Mapped[date]
    period: Mapped[str] = mapped_column(sa.String(8))
    metric: Mapped[str] = mapped_column(sa.String(40))
    ledger_value: Mapped[Decimal] = mapped_column(QUANTITY)
    stripe_value: Mapped[Decimal] = mapped_column(QUANTITY)
    # Events in the ledger for the period not yet pushed (they explain a gap).
    unpushed_value: Mapped[Decimal] = mapped_column(QUANTITY)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint(
            "provider_id", "day", "period", "metric", name="uq_billing_reconciliations_check"
        ),
    )

    @property
    def difference(self) -> Decimal:
        return self.stripe_value - self.ledger_value

    @property
    def agrees(self) -> bool:
        return self.difference == 0
