"""A month's statement per provider, and each client's share of it, from the ledger.

The month is the UTC calendar month (Stripe's billing period for a
subscription anchored on the first). A statement reads a constant number of
statements whatever the number of events: the usage is summed in SQL, grouped
by client, metric and the plan period it fell in (a join on the period's
bounds), and everything else is a handful of small reads.

The rules (``pricing`` holds the arithmetic; docs/billing.md says it in words):

* each plan period of the month bills its base fee prorated by the second,
  and prices the usage that occurred during it with its own included
  quantities and tiers (as Stripe bills a metered price for the usage
  reported while it was on the subscription); usage outside any plan period
  (before a first plan) is shown but costs nothing;
* a metric's amount is split between the clients whose work it was in
  proportion to their quantities, in minor units by largest remainder, so
  the shares add up to the provider's amount exactly; the base fee is the
  provider's own and is not split;
* SLA credits granted for the month (``CreditGrant``) are negative lines of
  the client they were for;
* the current month also has a forecast (``forecast``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.currencies import to_minor_unit
from baton.platform.db import utcnow
from baton.platform.errors import ValidationFailed
from baton.tenants.billing import pricing
from baton.tenants.billing.ledger import METRICS
from baton.tenants.billing.models import CreditGrant, Plan, PlanPeriod, UsageEvent
from baton.tenants.models import Organisation

ZERO = Decimal(0)


# --- months ------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def shift(month: date, by: int) -> date:
    index = month.year * 12 + month.month - 1 + by
    return date(index // 12, index % 12 + 1, 1)


def bounds(month: date) -> tuple[datetime, datetime]:
    """``[first instant, first instant of the next month)`` in UTC."""
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    following = shift(month, 1)
    return start, datetime(following.year, following.month, 1, tzinfo=UTC)


def parse_month(text: str | None, *, field_name: str = "month") -> date:
    """``YYYY-MM`` (the current UTC month when empty); a clear error otherwise."""
    if not (text or "").strip():
        return month_start(utcnow().date())
    try:
        parsed = datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise ValidationFailed(
            {field_name: f"{text!r} is not a month; write it as YYYY-MM, such as 2025-03."}
        ) from None
    if not 2000 <= parsed.year <= 2100:
        raise ValidationFailed({field_name: "Choose a month between 2000 and 2100."})
    return parsed


# --- what a statement holds ---------------------------------------------------------------


@dataclass
class PeriodCharge:
    plan_code: str
    plan_name: str
    starts_at: datetime  # within the month
    ends_at: datetime
    base_fee: Decimal  # the plan's monthly fee
    base_amount: Decimal  # prorated
    metrics: list[pricing.MetricCharge]


@dataclass
class CreditLine:
    client_id: uuid.UUID
    client_name: str
    amount: Decimal  # negative
    currency: str


@dataclass
class ClientShare:
    client_id: uuid.UUID
    name: str
    quantities: dict[str, Decimal] = field(default_factory=dict)
    amounts: dict[str, Decimal] = field(default_factory=dict)
    credits: list[CreditLine] = field(default_factory=list)

    @property
    def usage_amount(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)

    @property
    def credit_amount(self) -> Decimal:
        return sum((c.amount for c in self.credits), ZERO)

    @property
    def total(self) -> Decimal:
        return self.usage_amount + self.credit_amount


@dataclass
class MetricTotal:
    metric: str
    label: str
    quantity: Decimal
    events: int
    amount: Decimal


@dataclass
class Forecast:
    elapsed_share: Decimal  # of the month, 0..1
    quantities: dict[str, Decimal]
    usage_amount: Decimal
    base_amount: Decimal

    @property
    def total(self) -> Decimal:
        return self.base_amount + self.usage_amount


@dataclass
class Statement:
    provider_id: uuid.UUID
    month: date
    currency: str | None
    periods: list[PeriodCharge]
    metrics: list[MetricTotal]
    unplanned: dict[str, Decimal]  # usage before any plan: shown, not charged
    clients: list[ClientShare]
    credits: list[CreditLine]
    forecast: Forecast | None = None

    @property
    def base_amount(self) -> Decimal:
        return sum((p.base_amount for p in self.periods), ZERO)

    @property
    def usage_amount(self) -> Decimal:
        return sum((m.amount for p in self.periods for m in p.metrics), ZERO)

    @property
    def credit_amount(self) -> Decimal:
        return sum((c.amount for c in self.credits if c.currency == self.currency), ZERO)

    @property
    def total(self) -> Decimal:
        return self.base_amount + self.usage_amount + self.credit_amount

    @property
    def has_plan(self) -> bool:
        return bool(self.periods)

    def client(self, client_id: uuid.UUID) -> ClientShare | None:
        return next((c for c in self.clients if c.client_id == client_id), None)


# --- reads (a constant number of statements) ----------------------------------------------


@dataclass(frozen=True)
class UsageRow:
    provider_id: uuid.UUID
    client_id: uuid.UUID
    metric: str
    period_id: uuid.UUID | None
    quantity: Decimal
    events: int


def load_periods(
    session: Session, start: datetime, end: datetime, provider_id: uuid.UUID | None = None
) -> dict[uuid.UUID, list[tuple[PlanPeriod, Plan]]]:
    """Each provider's plan periods overlapping ``[start, end)``, oldest first."""
    query = (
        sa.select(PlanPeriod, Plan)
        .join(Plan, Plan.id == PlanPeriod.plan_id)
        .where(
            PlanPeriod.starts_at < end,
            sa.or_(PlanPeriod.ends_at.is_(None), PlanPeriod.ends_at > start),
        )
        .order_by(PlanPeriod.provider_id, PlanPeriod.starts_at)
    )
    if provider_id is not None:
        query = query.where(PlanPeriod.provider_id == provider_id)
    found: dict[uuid.UUID, list] = defaultdict(list)
    for period, plan in session.execute(query):
        found[period.provider_id].append((period, plan))
    return found


def load_usage(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    provider_id: uuid.UUID | None = None,
    client_id: uuid.UUID | None = None,
) -> list[UsageRow]:
    """The month's usage summed per provider, client, metric and plan period."""
    period = sa.and_(
        PlanPeriod.provider_id == UsageEvent.provider_id,
        UsageEvent.occurred_at >= PlanPeriod.starts_at,
        sa.or_(PlanPeriod.ends_at.is_(None), UsageEvent.occurred_at < PlanPeriod.ends_at),
    )
    query = (
        sa.select(
            UsageEvent.provider_id,
            UsageEvent.tenant_id,
            UsageEvent.metric,
            PlanPeriod.id,
            sa.func.sum(UsageEvent.quantity),
            sa.func.count(),
        )
        .outerjoin(PlanPeriod, period)
        .where(UsageEvent.occurred_at >= start, UsageEvent.occurred_at < end)
        .group_by(UsageEvent.provider_id, UsageEvent.tenant_id, UsageEvent.metric, PlanPeriod.id)
    )
    if provider_id is not None:
        query = query.where(UsageEvent.provider_id == provider_id)
    if client_id is not None:
        query = query.where(UsageEvent.tenant_id == client_id)
    return [UsageRow(p, c, m, pid, _exact(q), n) for p, c, m, pid, q, n in session.execute(query)]


def _exact(value) -> Decimal:
    """The sum without the column's padding (100, not 100.000000)."""
    return Decimal(format(Decimal(value).normalize(), "f"))


def load_credits(
    session: Session, month: date, provider_id: uuid.UUID | None = None
) -> list[CreditGrant]:
    query = sa.select(CreditGrant).where(CreditGrant.month == month)
    if provider_id is not None:
        query = query.where(CreditGrant.provider_id == provider_id)
    return list(session.scalars(query.order_by(CreditGrant.created_at)))


def load_names(session: Session, ids) -> dict[uuid.UUID, str]:
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
    )
    return dict(rows.all())


# --- the statement ------------------------------------------------------------------------


def build(
    provider_id: uuid.UUID,
    month: date,
    periods: list[tuple[PlanPeriod, Plan]],
    usage: list[UsageRow],
    credits: list[CreditGrant],
    names: dict[uuid.UUID, str],
    now: datetime | None = None,
) -> Statement:
    """The statement from loaded figures (no SQL)."""
    start, end = bounds(month)
    currency = periods[-1][0].currency if periods else None
    by_period: dict[uuid.UUID | None, dict[str, dict[uuid.UUID, Decimal]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    events: dict[str, int] = defaultdict(int)
    for row in usage:
        by_period[row.period_id][row.metric][row.client_id] = row.quantity
        events[row.metric] += row.events
    clients: dict[uuid.UUID, ClientShare] = {}

    def share(client_id: uuid.UUID) -> ClientShare:
        if client_id not in clients:
            clients[client_id] = ClientShare(client_id, names.get(client_id, str(client_id)))
        return clients[client_id]

    charges: list[PeriodCharge] = []
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for period, plan in periods:
        p_start, p_end = max(period.starts_at, start), min(period.ends_at or end, end)
        prices = pricing.metric_prices(period.prices)
        metrics = []
        for metric in METRICS:
            per_client = by_period.get(period.id, {}).get(metric, {})
            quantity = sum(per_client.values(), ZERO)
            if quantity == 0 and metric not in prices:
                continue
            charge = pricing.charge(metric, quantity, prices.get(metric), period.currency)
            metrics.append(charge)
            totals[metric][0] += quantity
            totals[metric][1] += charge.amount
            for client_id, amount in pricing.allocate(
                charge.amount, per_client, period.currency
            ).items():
                s = share(client_id)
                s.quantities[metric] = s.quantities.get(metric, ZERO) + per_client[client_id]
                s.amounts[metric] = s.amounts.get(metric, ZERO) + amount
        charges.append(
            PeriodCharge(
                plan_code=plan.code,
                plan_name=plan.name,
                starts_at=p_start,
                ends_at=p_end,
                base_fee=period.base_fee,
                base_amount=pricing.prorated_fee(
                    period.base_fee, p_start, p_end, start, end, period.currency
                ),
                metrics=metrics,
            )
        )
    unplanned: dict[str, Decimal] = {}
    for metric, per_client in by_period.get(None, {}).items():
        unplanned[metric] = sum(per_client.values(), ZERO)
        totals[metric][0] += unplanned[metric]
        for client_id, quantity in per_client.items():
            s = share(client_id)
            s.quantities[metric] = s.quantities.get(metric, ZERO) + quantity
    credit_lines = []
    for grant in credits:
        line = CreditLine(
            grant.tenant_id,
            names.get(grant.tenant_id, str(grant.tenant_id)),
            -abs(to_minor_unit(grant.amount, grant.currency)),
            grant.currency,
        )
        credit_lines.append(line)
        share(grant.tenant_id).credits.append(line)
    statement = Statement(
        provider_id=provider_id,
        month=month,
        currency=currency,
        periods=charges,
        metrics=[
            MetricTotal(m, METRICS[m], totals[m][0], events.get(m, 0), totals[m][1])
            for m in METRICS
            if m in totals
        ],
        unplanned=unplanned,
        clients=sorted(clients.values(), key=lambda c: c.name.lower()),
        credits=credit_lines,
    )
    now = now or utcnow()
    if start <= now < end:
        statement.forecast = forecast(statement, periods, now)
    return statement


def forecast(
    statement: Statement, periods: list[tuple[PlanPeriod, Plan]], now: datetime
) -> Forecast:
    """The month if usage goes on at its month-to-date rate: each metric's
    quantity so far x seconds in the month / seconds elapsed, priced with the
    plan in force now (its included quantities and tiers, once); the base fee
    as the statement has it (the current plan running to the month's end)."""
    start, end = bounds(statement.month)
    whole, elapsed = pricing.seconds(start, end), pricing.seconds(start, now)
    quantities = {
        m.metric: pricing.forecast_quantity(m.quantity, elapsed, whole) for m in statement.metrics
    }
    usage_amount = ZERO
    if periods:
        current = periods[-1][0]
        prices = pricing.metric_prices(current.prices)
        for metric, quantity in quantities.items():
            usage_amount += pricing.charge(
                metric, quantity, prices.get(metric), current.currency
            ).amount
    return Forecast(
        elapsed_share=(Decimal(elapsed) / Decimal(whole)).quantize(Decimal("0.0001")),
        quantities=quantities,
        usage_amount=usage_amount,
        base_amount=statement.base_amount,
    )


def provider_statement(
    session: Session, provider_id: uuid.UUID, month: date, *, now: datetime | None = None
) -> Statement:
    """The provider's statement for ``month``: four reads however many events."""
    start, end = bounds(month)
    periods = load_periods(session, start, end, provider_id).get(provider_id, [])
    usage = load_usage(session, start, end, provider_id=provider_id)
    credits = load_credits(session, month, provider_id)
    names = load_names(session, [r.client_id for r in usage] + [c.tenant_id for c in credits])
    return build(provider_id, month, periods, usage, credits, names, now)
