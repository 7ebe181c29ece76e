"""The provider's past months as the ledger prices them: what Stripe would invoice.

Without Stripe (the embedded mode) there are no invoices to list, but every
past month's statement can still be computed from the ledger and the plan
periods (``statements.provider_statement``), which is exactly what Stripe is
given to invoice. The billing page lists them as such, never as invoices:
no number, no payment status, and a note that nothing was sent.

Each month's statement can also be downloaded line by line (``csv_rows``):
base fee per plan period, each metric's included, billable and tier lines,
SLA credits, the total; the same figures as the page, so they add up.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.formatting import quantity
from baton.tenants.billing import statements
from baton.tenants.billing.ledger import METRICS
from baton.tenants.billing.models import PlanPeriod, UsageEvent

MONTHS_BACK = 12

CSV_HEADER = [
    "Month",
    "Line",
    "Client",
    "Quantity",
    "Included",
    "Billable",
    "Unit price",
    "Amount",
    "Currency",
]


@dataclass(frozen=True)
class PastMonth:
    """One past month's statement in brief (the page's table row)."""

    month: date
    currency: str | None
    plans: list[str]
    base_amount: Decimal
    usage_amount: Decimal
    credit_amount: Decimal
    total: Decimal
    events: int

    @property
    def invoiced(self) -> Decimal:
        """Base fee and usage: the invoice's lines (SLA credits go to the balance)."""
        return self.base_amount + self.usage_amount


def _first_month(session: Session, provider_id: uuid.UUID) -> date | None:
    """The month of the provider's first plan or first usage, whichever came first."""
    first_plan = session.scalar(
        sa.select(sa.func.min(PlanPeriod.starts_at)).where(PlanPeriod.provider_id == provider_id)
    )
    first_use = session.scalar(
        sa.select(sa.func.min(UsageEvent.occurred_at)).where(UsageEvent.provider_id == provider_id)
    )
    found = [moment.date() for moment in (first_plan, first_use) if moment is not None]
    return statements.month_start(min(found)) if found else None


def past_months(
    session: Session,
    provider_id: uuid.UUID,
    *,
    current: date | None = None,
    months_back: int = MONTHS_BACK,
) -> list[PastMonth]:
    """The finished months since the provider's first plan or usage (at most
    ``months_back``), newest first; months with neither are left out."""
    current = current or statements.parse_month(None)
    first = _first_month(session, provider_id)
    if first is None:
        return []
    found = []
    for back in range(1, months_back + 1):
        month = statements.shift(current, -back)
        if month < first:
            break
        s = statements.provider_statement(session, provider_id, month)
        if not s.has_plan and not s.metrics:
            continue
        found.append(
            PastMonth(
                month=month,
                currency=s.currency,
                plans=list(dict.fromkeys(p.plan_name for p in s.periods)),
                base_amount=s.base_amount,
                usage_amount=s.usage_amount,
                credit_amount=s.credit_amount,
                total=s.total,
                events=sum(m.events for m in s.metrics),
            )
        )
    return found


def csv_rows(statement: statements.Statement) -> Iterator[list]:
    """The statement's lines, one row each, as the page shows them."""
    month = f"{statement.month:%Y-%m}"
    cur = statement.currency or ""
    for p in statement.periods:
        prorated = ", prorated" if p.base_amount != p.base_fee else ""
        yield [
            month,
            f"Base fee, {p.plan_name} ({p.starts_at:%Y-%m-%d} - {p.ends_at:%Y-%m-%d}{prorated})",
            "",
            None,
            None,
            None,
            p.base_fee,
            p.base_amount,
            cur,
        ]
        for m in p.metrics:
            label = METRICS.get(m.metric, m.metric)
            yield [month, label, "", m.quantity, m.included, m.billable, None, m.amount, cur]
            for t in m.tiers:
                upper = "" if t.up_to is None else quantity(t.up_to)
                yield [
                    month,
                    f"{label}, units {quantity(t.first)}-{upper} beyond the included",
                    "",
                    None,
                    None,
                    t.quantity,
                    t.unit_price,
                    t.amount,
                    cur,
                ]
    for c in statement.credits:
        yield [month, "SLA credit", c.client_name, None, None, None, None, c.amount, c.currency]
    yield [month, "Total", "", None, None, None, None, statement.total, cur]
