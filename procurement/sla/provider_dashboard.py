"""The provider's SLA page across its clients: reads of the SLA tables, nothing computed twice.

One month (``period``, the first of the month) of the provider's active
engagements: each target's compliance per client (``credits.standing`` on the
month's ``SlaMonthly`` rows), the month's credit per client (``SlaCredit``),
breaches by cause and whose time they were, the open items at risk or already
breached on the provider's own clock (``at_risk``), and workload and
throughput per buyer. A fixed number of statements however many clients,
measures or buyers (tests/procurement/test_sla_provider.py counts them).
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.db import among, utcnow
from baton.platform.errors import ValidationFailed
from baton.procurement.handoff.review import provider_visible
from baton.procurement.orders.models import PurchaseOrder
from baton.procurement.orders.states import PURCHASE_ORDER
from baton.procurement.sla import at_risk
from baton.procurement.sla.aggregate import percentile_cont
from baton.procurement.sla.credits import TARGET_METRIC, Standing, standing
from baton.procurement.sla.models import SlaCredit, SlaMeasure, SlaMonthly
from baton.sourcing.requirements import states
from baton.sourcing.requirements.models import Requirement
from baton.tenants.models import Engagement, Organisation
from baton.tenants.people import user_names
from baton.tenants.sla_targets import KINDS, targets_of

# What each measured metric is called on the provider's pages.
METRIC_LABELS = {
    "handoff_to_release": "Handoff to release",
    "review": "Review",
    "review_decision": "Review decision",
    "client_answer": "Client's answer to a return",
    "approval_wait": "Approval wait",
    "acknowledgement": "Acknowledgement",
    "change_order": "Change order",
    "delivery": "Delivery (OTIF)",
    "issue_answer": "Order issue answer",
}
PARTIES = ("provider", "client", "supplier")
# Metrics with a limit: the ones a breach (and its party) is counted for.
JUDGED_METRICS = tuple(TARGET_METRIC.values())
MAX_ITEMS = 50
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def month_of(moment: datetime, tz_name: str | None) -> date:
    local = moment.astimezone(ZoneInfo(tz_name or "UTC"))
    return date(local.year, local.month, 1)


def parse_period(raw: str | None, tz_name: str | None, now: datetime | None = None) -> date:
    """``YYYY-MM`` (empty: this month in the provider's time zone)."""
    text = (raw or "").strip()
    if not text:
        return month_of(now or utcnow(), tz_name)
    match = _PERIOD.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2999:
        raise ValidationFailed({"period": "Give a month as YYYY-MM, e.g. 2027-03."})
    return date(int(match.group(1)), int(match.group(2)), 1)


def _next_month(period: date) -> date:
    return date(period.year + period.month // 12, period.month % 12 + 1, 1)


def month_bounds(period: date, tz_name: str | None) -> tuple[datetime, datetime]:
    zone = ZoneInfo(tz_name or "UTC")
    start = datetime.combine(period, time(0), zone).astimezone(UTC)
    end = datetime.combine(_next_month(period), time(0), zone).astimezone(UTC)
    return start, end


@dataclass
class ClientSla:
    engagement: Engagement
    standings: list[Standing]
    credit: SlaCredit | None
    # Breaches this month of the targets' metrics, by whose time they were.
    breaches: dict[str, int]

    @property
    def client(self) -> Organisation:
        return self.engagement.client

    @property
    def missed(self) -> list[Standing]:
        return [s for s in self.standings if s.missed]


@dataclass
class RiskItem:
    kind: str  # "requirement" or "order_issue"
    subject_id: uuid.UUID
    label: str
    client_id: uuid.UUID
    client_name: str
    what: str
    due_at: datetime | None
    breached: bool
    buyer_name: str | None
    po_id: uuid.UUID | None = None


@dataclass
class BuyerLoad:
    buyer_id: uuid.UUID | None
    name: str
    open_requirements: int = 0
    open_orders: int = 0
    released: int = 0
    median_hours: Decimal | None = None


@dataclass
class CauseRow:
    metric: str
    cause: str
    by_party: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_party.values())


@dataclass
class ProviderSla:
    period: date
    now: datetime
    clients: list[ClientSla]
    at_risk: list[RiskItem]
    breached: list[RiskItem]
    buyers: list[BuyerLoad]
    causes: list[CauseRow]
    breaches: list[SlaMeasure]
    client_names: dict[uuid.UUID, str] = field(default_factory=dict)
    risk_hours: Decimal = at_risk.RISK_HOURS

    @property
    def credit_total(self) -> dict[str, Decimal]:
        """The month's credits summed per currency."""
        found: dict[str, Decimal] = defaultdict(Decimal)
        for c in self.clients:
            if c.credit is not None and c.credit.amount:
                found[c.credit.currency or ""] += Decimal(c.credit.amount)
        return dict(found)


engagements_of = at_risk.active_engagements


def read(
    session: Session,
    provider: Organisation,
    period: date | None = None,
    now: datetime | None = None,
) -> ProviderSla:
    now = now or utcnow()
    period = period or month_of(now, provider.timezone)
    engagements = engagements_of(session, provider)
    names = {e.client_id: e.client.name for e in engagements}
    empty = ProviderSla(period, now, [], [], [], [], [], [], names)
    if not engagements:
        return empty
    client_ids = set(names)
    mine = [SlaMonthly.provider_id == provider.id, among(session, SlaMonthly.tenant_id, client_ids)]
    monthly = list(session.scalars(sa.select(SlaMonthly).where(*mine, SlaMonthly.period == period)))
    credits = {
        c.engagement_id: c
        for c in session.scalars(
            sa.select(SlaCredit).where(
                SlaCredit.provider_id == provider.id,
                among(session, SlaCredit.tenant_id, client_ids),
                SlaCredit.period == period,
            )
        )
    }
    clients = _standings(engagements, monthly, credits)
    horizon = at_risk.horizons(engagements, now)
    risky, breached = _risk(session, provider, client_ids, names, horizon, now)
    return ProviderSla(
        period=period,
        now=now,
        clients=clients,
        at_risk=risky,
        breached=breached,
        buyers=_buyers(session, provider, client_ids, period),
        causes=_causes(monthly),
        breaches=_breaches(session, provider, client_ids, period),
        client_names=names,
    )


def _standings(
    engagements: list[Engagement], monthly: list[SlaMonthly], credits: dict
) -> list[ClientSla]:
    whole: dict[uuid.UUID, dict[str, SlaMonthly]] = defaultdict(dict)
    for row in monthly:
        if row.cause == "":
            whole[row.engagement_id][row.metric] = row
    found = []
    for e in engagements:
        rows = whole.get(e.id, {})
        breaches = dict.fromkeys(PARTIES, 0)
        for metric in JUDGED_METRICS:
            row = rows.get(metric)
            if row is not None:
                breaches["provider"] += row.breaches_provider
                breaches["client"] += row.breaches_client
                breaches["supplier"] += row.breaches_supplier
        found.append(ClientSla(e, standing(targets_of(e), rows), credits.get(e.id), breaches))
    return found


def _causes(monthly: list[SlaMonthly]) -> list[CauseRow]:
    """Breaches summed over clients, per metric and cause (metrics counted by cause
    show each cause; the others show the metric as a whole)."""
    with_causes = {r.metric for r in monthly if r.cause}
    totals: dict[tuple[str, str], dict[str, int]] = {}
    for row in monthly:
        if row.metric not in JUDGED_METRICS:
            continue
        if row.metric in with_causes and row.cause == "":
            continue
        if row.metric not in with_causes and row.cause:
            continue
        parties = totals.setdefault((row.metric, row.cause), dict.fromkeys(PARTIES, 0))
        parties["provider"] += row.breaches_provider
        parties["client"] += row.breaches_client
        parties["supplier"] += row.breaches_supplier
    rows = [CauseRow(m, c, p) for (m, c), p in totals.items() if sum(p.values())]
    order = {m: i for i, m in enumerate(JUDGED_METRICS)}
    return sorted(rows, key=lambda r: (-r.total, order.get(r.metric, 99), r.cause))


def _breaches(
    session: Session, provider: Organisation, client_ids: set[uuid.UUID], period: date
) -> list[SlaMeasure]:
    return list(
        session.scalars(
            sa.select(SlaMeasure)
            .where(
                SlaMeasure.provider_id == provider.id,
                among(session, SlaMeasure.tenant_id, client_ids),
                SlaMeasure.period == period,
                SlaMeasure.metric.in_(JUDGED_METRICS),
                SlaMeasure.within.is_(False),
            )
            .order_by(SlaMeasure.started_at.desc(), SlaMeasure.id)
            .limit(MAX_ITEMS)
        )
    )


def _risk(
    session: Session,
    provider: Organisation,
    client_ids: set[uuid.UUID],
    names: dict[uuid.UUID, str],
    horizon: dict[uuid.UUID, datetime],
    now: datetime,
) -> tuple[list[RiskItem], list[RiskItem]]:
    reqs = list(
        session.scalars(
            sa.select(Requirement)
            .where(
                *provider_visible(session, provider.id, client_ids),
                at_risk.requirement_window(horizon),
            )
            .order_by(Requirement.sla_due_at, Requirement.id)
            .limit(MAX_ITEMS * 2)
        )
    )
    issues = list(
        session.scalars(
            sa.select(SlaMeasure)
            .where(
                SlaMeasure.provider_id == provider.id,
                among(session, SlaMeasure.tenant_id, client_ids),
                at_risk.issue_window(horizon),
            )
            .order_by(SlaMeasure.due_at.nulls_first(), SlaMeasure.id)
            .limit(MAX_ITEMS * 2)
        )
    )
    buyers = user_names(session, [r.assigned_buyer_id for r in reqs] + [m.buyer_id for m in issues])
    items = [
        RiskItem(
            kind="requirement",
            subject_id=r.id,
            label=f"{r.client_reference} {r.title}",
            client_id=r.tenant_id,
            client_name=names.get(r.tenant_id, ""),
            what=METRIC_LABELS["handoff_to_release"],
            due_at=at_risk._aware(r.sla_due_at),
            breached=at_risk.is_breached(r, now),
            buyer_name=buyers.get(r.assigned_buyer_id),
        )
        for r in reqs
    ]
    for m in issues:
        due = at_risk._aware(m.due_at)
        items.append(
            RiskItem(
                kind="order_issue",
                subject_id=m.subject_id,
                label=m.subject_label,
                client_id=m.tenant_id,
                client_name=names.get(m.tenant_id, ""),
                what=METRIC_LABELS[m.metric],
                due_at=due,
                breached=m.owner_met is False or (due is not None and due < now),
                buyer_name=buyers.get(m.buyer_id),
                po_id=m.po_id,
            )
        )
    far = datetime.max.replace(tzinfo=UTC)
    items.sort(key=lambda i: (i.due_at or far, i.label))
    return (
        [i for i in items if not i.breached][:MAX_ITEMS],
        [i for i in items if i.breached][:MAX_ITEMS],
    )


def _buyers(
    session: Session, provider: Organisation, client_ids: set[uuid.UUID], period: date
) -> list[BuyerLoad]:
    loads: dict[uuid.UUID | None, BuyerLoad] = {}

    def load(buyer_id: uuid.UUID | None) -> BuyerLoad:
        if buyer_id not in loads:
            loads[buyer_id] = BuyerLoad(buyer_id, "")
        return loads[buyer_id]

    for buyer_id, n in session.execute(
        sa.select(Requirement.assigned_buyer_id, sa.func.count())
        .where(
            *provider_visible(session, provider.id, client_ids),
            Requirement.status.in_(states.QUEUE),
        )
        .group_by(Requirement.assigned_buyer_id)
    ):
        load(buyer_id).open_requirements = n
    for buyer_id, n in session.execute(
        sa.select(PurchaseOrder.buyer_id, sa.func.count())
        .where(
            PurchaseOrder.provider_id == provider.id,
            among(session, PurchaseOrder.tenant_id, client_ids),
            PurchaseOrder.status.in_(PURCHASE_ORDER.group("open")),
        )
        .group_by(PurchaseOrder.buyer_id)
    ):
        load(buyer_id).open_orders = n
    start, end = month_bounds(period, provider.timezone)
    released = [
        SlaMeasure.provider_id == provider.id,
        among(session, SlaMeasure.tenant_id, client_ids),
        SlaMeasure.metric == "handoff_to_release",
        SlaMeasure.ended_at >= start,
        SlaMeasure.ended_at < end,
    ]
    if session.get_bind().dialect.name == "postgresql":
        for buyer_id, n, median in session.execute(
            sa.select(
                SlaMeasure.buyer_id,
                sa.func.count(),
                sa.func.percentile_cont(0.5).within_group(SlaMeasure.elapsed_hours),
            )
            .where(*released)
            .group_by(SlaMeasure.buyer_id)
        ):
            row = load(buyer_id)
            row.released = n
            row.median_hours = Decimal(str(median)).quantize(Decimal("0.1")) if median else None
    else:  # the embedded mode: the same interpolation in Python
        hours: dict[uuid.UUID | None, list[Decimal]] = defaultdict(list)
        for buyer_id, elapsed in session.execute(
            sa.select(SlaMeasure.buyer_id, SlaMeasure.elapsed_hours).where(*released)
        ):
            hours[buyer_id].append(Decimal(elapsed or 0))
        for buyer_id, values in hours.items():
            row = load(buyer_id)
            row.released = len(values)
            median = percentile_cont(values, 0.5)
            row.median_hours = median.quantize(Decimal("0.1")) if median is not None else None
    named = user_names(session, loads)
    for buyer_id, row in loads.items():
        row.name = named.get(buyer_id, "Former member") if buyer_id else "Unassigned"
    return sorted(loads.values(), key=lambda b: (b.buyer_id is None, b.name.lower()))


def label_of(metric: str) -> str:
    kind = KINDS.get(metric)
    return kind.label if kind else METRIC_LABELS.get(metric, metric)
