"""Supplier scorecards: how one supplier of a client delivered, month by month.

Read for the client, across all its engagements (a supplier is the client's,
whoever ordered from it), from the rollup's measures (``SlaMeasure``) and the
order rows; nothing here writes. Definitions (docs/supplier_scorecards.md):

* OTIF: delivery measures on time in full / delivery measures judged, in
  the month of the promised date.
* Acknowledgement: the median business hours from release to the supplier's
  acknowledgement (acknowledged orders only), and the rate acknowledged
  (acknowledged / acknowledgement measures closed or past their limit).
* Lead-time variance: mean and sample standard deviation of the days a line
  was completed after its promised date (late is positive).
* Rejection rate: quantity rejected / quantity received at goods-in, in the
  month of receipt.
* Change requests: acknowledgements that changed a line (quantity, price or
  date) plus change orders made for a supplier change.

Windows: the last 3 and 12 months are the current month (in the client's
zone) and the 2 or 11 before it. A page costs a fixed number of statements
whatever the supplier's volume: deliveries and acknowledgements are summed
per month in SQL; only acknowledged hours (one per order) and receipts per
day come back as rows, for the exact median and the month of receipt.
"""

from __future__ import annotations

import math
import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.db import among, utcnow
from baton.procurement.orders.models import POAcknowledgement, POReceipt, PurchaseOrder
from baton.procurement.orders.policy import policy_for
from baton.procurement.sla.models import SlaMeasure

WINDOWS = (3, 12)
SUPPLIER_CHANGE = "supplier_change"
FIGURES = ("otif", "acknowledgement", "lead_time", "rejection", "changes")


def month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def months_back(first: date, n: int) -> date:
    """The first of the month ``n`` months before ``first``."""
    index = first.year * 12 + first.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def this_month(zone: str, now: datetime | None = None) -> date:
    return month_start((now or utcnow()).astimezone(ZoneInfo(zone)).date())


@dataclass
class Tally:
    """The sums one month (or a window of months) adds up to."""

    judged: int = 0
    within: int = 0
    completed: int = 0
    days_sum: Decimal = Decimal(0)
    days_squares: Decimal = Decimal(0)
    ack_judged: int = 0
    acknowledged: int = 0
    ack_hours: list[Decimal] = field(default_factory=list)
    received: Decimal = Decimal(0)
    rejected: Decimal = Decimal(0)
    changed_acks: int = 0
    supplier_changes: int = 0

    def add(self, other: Tally) -> None:
        for name in (
            "judged", "within", "completed", "days_sum", "days_squares", "ack_judged",
            "acknowledged", "received", "rejected", "changed_acks", "supplier_changes",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.ack_hours = self.ack_hours + other.ack_hours


def _percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Figures:
    """What a scorecard shows for one month or window; None where nothing was measured."""

    otif_percent: Decimal | None
    deliveries_judged: int
    deliveries_within: int
    ack_median_hours: Decimal | None
    ack_rate_percent: Decimal | None
    acks_judged: int
    acknowledged: int
    lead_time_mean_days: Decimal | None
    lead_time_stddev_days: Decimal | None
    lines_completed: int
    rejection_percent: Decimal | None
    quantity_received: Decimal
    quantity_rejected: Decimal
    changed_acknowledgements: int
    supplier_change_orders: int

    @property
    def change_requests(self) -> int:
        return self.changed_acknowledgements + self.supplier_change_orders

    @classmethod
    def of(cls, t: Tally) -> Figures:
        mean = stddev = None
        if t.completed:
            mean_value = t.days_sum / t.completed
            mean = mean_value.quantize(Decimal("0.1"))
            if t.completed > 1:
                spread = (t.days_squares - t.days_sum * mean_value) / (t.completed - 1)
                stddev = Decimal(math.sqrt(max(float(spread), 0.0))).quantize(Decimal("0.1"))
        median = None
        if t.ack_hours:
            median = Decimal(statistics.median(t.ack_hours)).quantize(Decimal("0.1"))
        return cls(
            otif_percent=_percent(t.within, t.judged),
            deliveries_judged=t.judged,
            deliveries_within=t.within,
            ack_median_hours=median,
            ack_rate_percent=_percent(t.acknowledged, t.ack_judged),
            acks_judged=t.ack_judged,
            acknowledged=t.acknowledged,
            lead_time_mean_days=mean,
            lead_time_stddev_days=stddev,
            lines_completed=t.completed,
            rejection_percent=_percent(t.rejected, t.received),
            quantity_received=t.received,
            quantity_rejected=t.rejected,
            changed_acknowledgements=t.changed_acks,
            supplier_change_orders=t.supplier_changes,
        )


@dataclass(frozen=True)
class Month:
    period: date
    figures: Figures


@dataclass(frozen=True)
class Scorecard:
    supplier_id: uuid.UUID
    current: date
    threshold_percent: Decimal
    # Newest month first, the 12 months of the long window.
    months: list[Month]
    windows: dict[int, Figures]

    @property
    def flagged(self) -> bool:
        return below(self.windows[3].otif_percent, self.threshold_percent)


def below(otif: Decimal | None, threshold: Decimal) -> bool:
    """Flag only what was measured: a supplier with no judged delivery is not flagged."""
    return otif is not None and otif < threshold


def _measure_sums(session: Session, tenant_id, supplier_id, first: date, last: date, tallies):
    m = SlaMeasure
    is_delivery = m.metric == "delivery"
    is_ack = m.metric == "acknowledgement"
    ack_judged = sa.and_(is_ack, sa.or_(m.ended_at.is_not(None), m.within.is_not(None)))
    rows = session.execute(
        sa.select(
            m.period,
            sa.func.sum(sa.case((sa.and_(is_delivery, m.within.is_not(None)), 1), else_=0)),
            sa.func.sum(sa.case((sa.and_(is_delivery, m.within.is_(True)), 1), else_=0)),
            sa.func.sum(sa.case((sa.and_(is_delivery, m.value.is_not(None)), 1), else_=0)),
            sa.func.sum(sa.case((is_delivery, m.value), else_=None)),
            sa.func.sum(sa.case((is_delivery, m.value * m.value), else_=None)),
            sa.func.sum(sa.case((ack_judged, 1), else_=0)),
            sa.func.sum(sa.case((sa.and_(is_ack, m.value == 1), 1), else_=0)),
            sa.func.sum(
                sa.case(
                    (sa.and_(m.metric == "change_order", m.cause == SUPPLIER_CHANGE), 1), else_=0
                )
            ),
        )
        .where(
            m.tenant_id == tenant_id,
            m.supplier_id == supplier_id,
            m.period >= first,
            m.period <= last,
            m.metric.in_(("delivery", "acknowledgement", "change_order")),
        )
        .group_by(m.period)
    )
    for period, judged, within, completed, days, squares, acks, acked, changes in rows:
        t = tallies[period]
        t.judged, t.within, t.completed = int(judged or 0), int(within or 0), int(completed or 0)
        t.days_sum, t.days_squares = Decimal(days or 0), Decimal(squares or 0)
        t.ack_judged, t.acknowledged = int(acks or 0), int(acked or 0)
        t.supplier_changes = int(changes or 0)
    for period, hours in session.execute(
        sa.select(m.period, m.elapsed_hours).where(
            m.tenant_id == tenant_id,
            m.supplier_id == supplier_id,
            m.period >= first,
            m.period <= last,
            m.metric == "acknowledgement",
            m.value == 1,
            m.elapsed_hours.is_not(None),
        )
    ):
        tallies[period].ack_hours.append(Decimal(hours))


def _supplier_orders(tenant_id, supplier_id):
    return sa.and_(
        PurchaseOrder.tenant_id == tenant_id,
        PurchaseOrder.supplier_id == supplier_id,
    )


def _receipt_sums(session: Session, tenant_id, supplier_id, first: date, last_day: date, tallies):
    r = POReceipt
    rows = session.execute(
        sa.select(r.received_on, sa.func.sum(r.quantity_received), sa.func.sum(r.quantity_rejected))
        .join(
            PurchaseOrder,
            sa.and_(PurchaseOrder.tenant_id == r.tenant_id, PurchaseOrder.id == r.po_id),
        )
        .where(
            r.tenant_id == tenant_id,
            _supplier_orders(tenant_id, supplier_id),
            r.received_on >= first,
            r.received_on <= last_day,
        )
        .group_by(r.received_on)
    )
    for day, got, rejected in rows:
        t = tallies[month_start(day)]
        t.received += Decimal(got or 0)
        t.rejected += Decimal(rejected or 0)


def changed(lines: list | None) -> bool:
    return any((line or {}).get("outcome") == "changed" for line in lines or [])


def _changed_acks(session: Session, tenant_id, supplier_id, first_at: datetime, zone, tallies):
    a = POAcknowledgement
    rows = session.execute(
        sa.select(a.created_at, a.lines)
        .join(
            PurchaseOrder,
            sa.and_(PurchaseOrder.tenant_id == a.tenant_id, PurchaseOrder.id == a.po_id),
        )
        .where(
            a.tenant_id == tenant_id,
            _supplier_orders(tenant_id, supplier_id),
            a.created_at >= first_at,
        )
    )
    for at, lines in rows:
        if changed(lines):
            tallies[month_start(at.astimezone(zone).date())].changed_acks += 1


def scorecard(
    session: Session, tenant_id: uuid.UUID, supplier_id: uuid.UUID, zone: str, now=None
) -> Scorecard:
    """The supplier's last 12 months and its 3- and 12-month figures (five statements)."""
    current = this_month(zone, now)
    first = months_back(current, max(WINDOWS) - 1)
    tz = ZoneInfo(zone)
    tallies: dict[date, Tally] = defaultdict(Tally)
    _measure_sums(session, tenant_id, supplier_id, first, current, tallies)
    _receipt_sums(session, tenant_id, supplier_id, first, months_back(current, -1), tallies)
    first_at = datetime.combine(first, datetime.min.time(), tz)
    _changed_acks(session, tenant_id, supplier_id, first_at, tz, tallies)
    periods = [months_back(current, n) for n in range(max(WINDOWS))]
    windows = {}
    for size in WINDOWS:
        total = Tally()
        for period in periods[:size]:
            total.add(tallies.get(period, Tally()))
        windows[size] = Figures.of(total)
    return Scorecard(
        supplier_id=supplier_id,
        current=current,
        threshold_percent=policy_for(session, tenant_id).otif_threshold_percent,
        months=[Month(p, Figures.of(tallies.get(p, Tally()))) for p in periods],
        windows=windows,
    )


def threshold(session: Session, tenant_id: uuid.UUID) -> Decimal:
    return policy_for(session, tenant_id).otif_threshold_percent


def otif_flags(
    session: Session, tenant_id: uuid.UUID, supplier_ids, zone: str, now=None
) -> dict[uuid.UUID, Decimal]:
    """Of ``supplier_ids``, those under the client's threshold: {id: OTIF % over 3 months}."""
    ids = list(supplier_ids)
    if not ids:
        return {}
    current = this_month(zone, now)
    m = SlaMeasure
    rows = session.execute(
        sa.select(
            m.supplier_id,
            sa.func.count(m.id),
            sa.func.sum(sa.case((m.within.is_(True), 1), else_=0)),
        )
        .where(
            m.tenant_id == tenant_id,
            among(session, m.supplier_id, ids),
            m.metric == "delivery",
            m.within.is_not(None),
            m.period >= months_back(current, min(WINDOWS) - 1),
            m.period <= current,
        )
        .group_by(m.supplier_id)
    )
    limit = threshold(session, tenant_id)
    flags = {}
    for supplier_id, judged, within in rows:
        otif = _percent(int(within or 0), int(judged or 0))
        if below(otif, limit):
            flags[supplier_id] = otif
    return flags
