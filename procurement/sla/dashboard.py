"""The client's SLA dashboard: one engagement's month, read from the rollup's tables.

Nothing here computes a figure from orders or requirements: the rollup
(``rollup.py``) has already measured every subject and aggregated every
month, so a dashboard is a handful of reads of small tables, the same
number of statements whatever the month holds. The page, the exports, the
monthly PDF and the API all read through here, so they show the same
figures.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from baton.platform.errors import NotFound, ValidationFailed
from baton.procurement.orders.change_models import CHANGE_CAUSES
from baton.procurement.orders.issue_models import CAUSE_LABELS
from baton.procurement.sla.credits import TARGET_METRIC, Standing, standing
from baton.procurement.sla.models import SlaCredit, SlaMeasure, SlaMonthly
from baton.sourcing.requirements.models import RETURN_REASONS
from baton.tenants.calendars import Calendar, describe
from baton.tenants.engagement_settings import calendar_of
from baton.tenants.models import Engagement
from baton.tenants.sla_targets import KINDS, Target, targets_of

HUNDRED = Decimal(100)
TREND_MONTHS = 12
PAGE_SIZE = 50
# The month's breaches shown on the dashboard itself; the drill-down has them all.
BREACHES_SHOWN = 50
ONLY = ("breaches", "judged", "all", "overdue")
METRICS = (
    "handoff_to_release",
    "review",
    "review_decision",
    "client_answer",
    "approval_wait",
    "acknowledgement",
    "change_order",
    "delivery",
    "issue_answer",
)
METRIC_LABELS = {
    "handoff_to_release": "Handoff to release",
    "review": "Review",
    "review_decision": "Review decision",
    "client_answer": "Client answer to a return",
    "approval_wait": "Approval wait",
    "acknowledgement": "Acknowledgement",
    "change_order": "Change order",
    "delivery": "Delivery (OTIF)",
    "issue_answer": "Order issue answer",
}
PARTY_LABELS = {"provider": "Provider", "client": "Client (you)", "supplier": "Supplier"}
# Whose promise a target is, as the client reads it.
OWNER_LABELS = {
    "provider": "the provider's promise",
    "client": "your own target",
    "supplier": "the supplier's",
}


def cause_label(metric: str, cause: str | None) -> str:
    if not cause:
        return ""
    if metric in ("review_decision", "client_answer"):
        return RETURN_REASONS.get(cause, cause)
    if metric == "issue_answer":
        return CAUSE_LABELS.get(cause, cause)
    if metric == "change_order" and cause in CHANGE_CAUSES:
        return cause.replace("_", " ").capitalize()
    return cause


def percent(part: int | Decimal | None, whole: int | Decimal | None) -> Decimal | None:
    if not whole or part is None:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


# --- what the request asks for -------------------------------------------------------------


def month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def shift(period: date, months: int) -> date:
    index = period.year * 12 + period.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def parse_period(raw: Any, today: date, name: str = "period") -> date:
    """``2026-03`` (or a date in the month) to the month's first day; empty: this month."""
    text = str(raw or "").strip()
    if not text:
        return month_start(today)
    try:
        if len(text) == 7:
            year, month = text.split("-")
            found = date(int(year), int(month), 1)
        else:
            found = month_start(date.fromisoformat(text))
    except ValueError:
        raise ValidationFailed({name: "Give a month as YYYY-MM, e.g. 2026-03."}) from None
    if not 2000 <= found.year <= 2100:
        raise ValidationFailed({name: "Give a month between 2000 and 2100."})
    return found


def parse_engagement_id(raw: Any) -> uuid.UUID | None:
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        # A malformed id is as unknown as another tenant's: the same 404.
        raise NotFound("No such engagement.") from None


def parse_only(raw: Any) -> str:
    text = str(raw or "").strip().lower() or "all"
    if text not in ONLY:
        raise ValidationFailed({"only": "Choose breaches, judged, overdue or all."})
    return text


def parse_metric(raw: Any) -> str | None:
    text = str(raw or "").strip().lower()
    if not text:
        return None
    if text not in METRICS:
        raise ValidationFailed({"metric": "Choose one of " + ", ".join(METRICS) + "."})
    return text


def parse_cause(raw: Any) -> str | None:
    text = str(raw or "").strip()[:32]
    return text or None


# --- engagements --------------------------------------------------------------------------


def client_engagements(session: Session, client_id: uuid.UUID) -> list[Engagement]:
    """The client's engagements, active first, then by provider name."""
    found = session.scalars(
        sa.select(Engagement)
        .options(joinedload(Engagement.provider))
        .where(Engagement.client_id == client_id)
    ).all()
    return sorted(found, key=lambda e: (e.status != "active", e.provider.name.lower(), str(e.id)))


def choose(engagements: list[Engagement], engagement_id: uuid.UUID | None) -> Engagement | None:
    """The one asked for (another tenant's: 404), else the first; None: there are none."""
    if engagement_id is None:
        return engagements[0] if engagements else None
    for engagement in engagements:
        if engagement.id == engagement_id:
            return engagement
    raise NotFound("No such engagement.")


# --- one month ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetRow:
    target: Target
    standing: Standing
    metric: str  # the monthly metric it reads (otif -> delivery)
    breaches: dict[str, int]

    @property
    def label(self) -> str:
        return self.target.label

    @property
    def missed(self) -> bool:
        return self.standing.missed


@dataclass(frozen=True)
class Figure:
    """One line of the "other metrics" table: what, the figure in words, the drill-down."""

    key: str
    label: str
    value: str
    detail: str
    metric: str
    only: str = "all"
    cause: str | None = None
    number: Decimal | None = None


@dataclass
class MonthView:
    engagement: Engagement
    calendar: Calendar
    period: date
    targets: list[TargetRow]
    figures: list[Figure]
    causes: dict[str, list[tuple[str, str, int]]]
    trend: list[dict[str, Any]]
    credit: SlaCredit | None
    breaches: list[SlaMeasure]
    more_breaches: bool
    overdue_lines: int
    monthly: dict[str, SlaMonthly] = field(default_factory=dict)

    @property
    def provider_name(self) -> str:
        return self.engagement.provider.name

    @property
    def empty(self) -> bool:
        return not self.monthly


def _hours(value: Decimal | None, calendar: Calendar) -> str:
    return describe(Decimal(value), calendar) if value is not None else "—"


def _pct(value: Decimal | None) -> str:
    return f"{value} %" if value is not None else "—"


def _median_figure(key: str, label: str, row: SlaMonthly | None, cal: Calendar) -> Figure:
    if row is None:
        return Figure(key, label, "—", "nothing measured", key)
    detail = f"p90 {_hours(row.p90_hours, cal)} · {row.items} measured"
    return Figure(key, label, f"median {_hours(row.p50_hours, cal)}", detail, key)


def figures_of(monthly: dict[str, SlaMonthly], overdue: int, calendar: Calendar) -> list[Figure]:
    """The month's metrics other than the targets, in words (docs/sla.md defines each)."""
    get = monthly.get
    found = [
        _median_figure(
            "handoff_to_release", "Handoff to release", get("handoff_to_release"), calendar
        ),
        _median_figure("review", "Review time", get("review"), calendar),
    ]
    decisions = get("review_decision")
    returned = int(decisions.value_sum or 0) if decisions else 0
    rate = percent(returned, decisions.items) if decisions else None
    found.append(
        Figure(
            "return_rate",
            "Return rate",
            _pct(rate),
            f"{returned} of {decisions.items if decisions else 0} review decisions returned",
            "review_decision",
            number=rate,
        )
    )
    found.append(
        _median_figure("client_answer", "Your answer to a return", get("client_answer"), calendar)
    )
    found.append(_median_figure("approval_wait", "Approval wait", get("approval_wait"), calendar))
    ack = get("acknowledgement")
    found.append(
        Figure(
            "acknowledgement_latency",
            "Acknowledgement latency",
            f"median {_hours(ack.p50_hours, calendar)}" if ack else "—",
            f"p90 {_hours(ack.p90_hours, calendar)}" if ack else "nothing released",
            "acknowledgement",
        )
    )
    acked = int(ack.value_sum or 0) if ack else 0
    ack_rate = percent(acked, ack.items) if ack else None
    found.append(
        Figure(
            "acknowledgement_rate",
            "Acknowledgement rate",
            _pct(ack_rate),
            f"{acked} of {ack.items if ack else 0} released orders acknowledged",
            "acknowledgement",
            number=ack_rate,
        )
    )
    delivery = get("delivery")
    judged = delivery.judged if delivery else 0
    otif = percent(delivery.within, judged) if delivery else None
    on_time = percent(delivery.on_time, judged) if delivery else None
    need_by = percent(delivery.on_time_need_by, delivery.need_by_judged) if delivery else None
    found += [
        Figure(
            "otif", "OTIF", _pct(otif), f"{judged} lines due", "delivery", "judged", number=otif
        ),
        Figure(
            "on_time_promised",
            "On time by promised date",
            _pct(on_time),
            f"{delivery.on_time if delivery else 0} of {judged} lines",
            "delivery",
            "judged",
            number=on_time,
        ),
        Figure(
            "on_time_need_by",
            "On time by need-by date",
            _pct(need_by),
            f"{delivery.on_time_need_by if delivery else 0} of"
            f" {delivery.need_by_judged if delivery else 0} lines",
            "delivery",
            "judged",
            number=need_by,
        ),
    ]
    mean = delivery.value_mean if delivery else None
    spread = delivery.value_stddev if delivery else None
    found.append(
        Figure(
            "lead_time_variance",
            "Supplier lead-time variance",
            f"{mean.quantize(Decimal('0.1')):+} days" if mean is not None else "—",
            "received after (+) or before (−) the promised date"
            + (f", ± {spread.quantize(Decimal('0.1'))} days" if spread is not None else ""),
            "delivery",
            number=mean,
        )
    )
    changes = get("change_order")
    orders = ack.items if ack else 0
    per_po = (
        (Decimal(changes.items) / Decimal(orders)).quantize(Decimal("0.01"))
        if changes and orders
        else None
    )
    found.append(
        Figure(
            "change_orders",
            "Change orders per PO",
            str(per_po) if per_po is not None else ("0" if orders else "—"),
            f"{changes.items if changes else 0} change orders, {orders} orders released",
            "change_order",
            number=per_po,
        )
    )
    found.append(
        Figure(
            "overdue_lines",
            "Overdue open lines",
            str(overdue),
            "past their promised date, not received in full (now)",
            "delivery",
            "overdue",
            number=Decimal(overdue),
        )
    )
    issues = get("issue_answer")
    found.append(
        Figure(
            "order_issues",
            "Order issues",
            str(issues.items if issues else 0),
            f"median answer {_hours(issues.p50_hours, calendar)}" if issues else "none raised",
            "issue_answer",
        )
    )
    return found


def _target_rows(targets: dict[str, Target], monthly: dict[str, SlaMonthly]) -> list[TargetRow]:
    rows = []
    for found in standing(targets, monthly):
        metric = TARGET_METRIC[found.metric]
        row = monthly.get(metric)
        rows.append(
            TargetRow(
                target=targets[found.metric],
                standing=found,
                metric=metric,
                breaches={
                    "provider": row.breaches_provider if row else 0,
                    "client": row.breaches_client if row else 0,
                    "supplier": row.breaches_supplier if row else 0,
                },
            )
        )
    return rows


def _trend(
    rows: list[SlaMonthly], targets: dict[str, Target], period: date
) -> list[dict[str, Any]]:
    by_month: dict[date, dict[str, SlaMonthly]] = defaultdict(dict)
    for row in rows:
        if row.cause == "":
            by_month[row.period][row.metric] = row
    found = []
    for back in range(TREND_MONTHS - 1, -1, -1):
        month = shift(period, -back)
        monthly = by_month.get(month, {})
        point: dict[str, Any] = {"period": month}
        for s in standing(targets, monthly):
            point[s.metric] = s.compliance_percent
            point[s.metric + "_actual"] = s.actual_percent
        handoff = monthly.get("handoff_to_release")
        point["handoff_p50_hours"] = handoff.p50_hours if handoff else None
        point["handoff_p90_hours"] = handoff.p90_hours if handoff else None
        found.append(point)
    return found


def month_view(session: Session, engagement: Engagement, period: date) -> MonthView:
    """Everything the dashboard shows for ``engagement`` in ``period``: four statements."""
    tenant_id = engagement.client_id
    calendar = calendar_of(engagement)
    targets = targets_of(engagement)
    rows = session.scalars(
        sa.select(SlaMonthly).where(
            SlaMonthly.tenant_id == tenant_id,
            SlaMonthly.engagement_id == engagement.id,
            SlaMonthly.period > shift(period, -TREND_MONTHS),
            SlaMonthly.period <= period,
        )
    ).all()
    monthly = {r.metric: r for r in rows if r.period == period and r.cause == ""}
    causes: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for r in rows:
        if r.period == period and r.cause:
            causes[r.metric].append((r.cause, cause_label(r.metric, r.cause), r.items))
    for listed in causes.values():
        listed.sort(key=lambda c: (-c[2], c[1]))
    credit = session.scalar(
        sa.select(SlaCredit).where(
            SlaCredit.tenant_id == tenant_id,
            SlaCredit.engagement_id == engagement.id,
            SlaCredit.period == period,
        )
    )
    breaches = session.scalars(
        sa.select(SlaMeasure)
        .where(*_where(tenant_id, engagement.id, period, None, "breaches", None))
        .order_by(SlaMeasure.started_at, SlaMeasure.id)
        .limit(BREACHES_SHOWN + 1)
    ).all()
    overdue = session.scalar(
        sa.select(sa.func.count()).where(
            *_where(tenant_id, engagement.id, None, None, "overdue", None)
        )
    )
    return MonthView(
        engagement=engagement,
        calendar=calendar,
        period=period,
        targets=_target_rows(targets, monthly),
        figures=figures_of(monthly, overdue or 0, calendar),
        causes=dict(causes),
        trend=_trend(rows, targets, period),
        credit=credit if credit is not None and credit.missed else None,
        breaches=list(breaches[:BREACHES_SHOWN]),
        more_breaches=len(breaches) > BREACHES_SHOWN,
        overdue_lines=overdue or 0,
        monthly=monthly,
    )


# --- the drill-down -----------------------------------------------------------------------


def _where(
    tenant_id: uuid.UUID,
    engagement_id: uuid.UUID,
    period: date | None,
    metric: str | None,
    only: str,
    cause: str | None,
) -> list:
    m = SlaMeasure
    where = [m.tenant_id == tenant_id, m.engagement_id == engagement_id]
    if only == "overdue":
        # Open lines past their promised date, whichever month they are due in.
        where += [m.metric == "delivery", m.ended_at.is_(None), m.in_full.is_(False)]
        if period is not None:
            where.append(m.period == period)
        return where
    if period is not None:
        where.append(m.period == period)
    if metric is not None:
        where.append(m.metric == metric)
    if cause is not None:
        where.append(m.cause == cause)
    if only == "breaches":
        where.append(m.within.is_(False))
    elif only == "judged":
        where.append(m.within.is_not(None))
    return where


@dataclass(frozen=True)
class MeasureQuery:
    engagement_id: uuid.UUID
    period: date | None
    metric: str | None
    only: str
    cause: str | None

    def args(self) -> dict[str, str]:
        found = {"engagement": str(self.engagement_id), "only": self.only}
        if self.period is not None:
            found["period"] = self.period.strftime("%Y-%m")
        if self.metric:
            found["metric"] = self.metric
        if self.cause:
            found["cause"] = self.cause
        return found


def parse_measure_query(args: Any, engagement_id: uuid.UUID, today: date) -> MeasureQuery:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, parse in (
        ("period", lambda raw: parse_period(raw, today)),
        ("metric", parse_metric),
        ("only", parse_only),
    ):
        try:
            values[name] = parse(args.get(name))
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return MeasureQuery(
        engagement_id=engagement_id,
        # Overdue is "now", whichever month the lines were due in.
        period=None if values["only"] == "overdue" else values["period"],
        metric=values["metric"],
        only=values["only"],
        cause=parse_cause(args.get("cause")),
    )


def measures(
    session: Session,
    tenant_id: uuid.UUID,
    query: MeasureQuery,
    *,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> tuple[list[SlaMeasure], bool]:
    """One page of the measures behind a figure, oldest first; and whether more follow."""
    rows = session.scalars(
        sa.select(SlaMeasure)
        .where(
            *_where(
                tenant_id, query.engagement_id, query.period, query.metric, query.only, query.cause
            )
        )
        .order_by(SlaMeasure.started_at.nulls_last(), SlaMeasure.metric, SlaMeasure.id)
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    ).all()
    return list(rows[:per_page]), len(rows) > per_page


def subject_link(measure: SlaMeasure) -> tuple[str, dict[str, uuid.UUID]] | None:
    """The client portal page of what a measure is about: (endpoint, arguments)."""
    if measure.subject_type == "po_issue":
        return "client_issues.detail", {"issue_id": measure.subject_id}
    if measure.subject_type in ("purchase_order", "po_line", "change_order") and measure.po_id:
        return "client_orders.detail", {"po_id": measure.po_id}
    if measure.requirement_id is not None:
        return "client_requirements.detail", {"requirement_id": measure.requirement_id}
    return None


def elapsed_text(measure: SlaMeasure, calendar: Calendar) -> str:
    if measure.metric == "delivery":
        if measure.value is not None:
            return f"{int(measure.value):+d} days against the promised date"
        return "not received in full"
    if measure.elapsed_hours is None:
        return ""
    text = describe(Decimal(measure.elapsed_hours), calendar)
    return text + ("" if measure.ended_at is not None else " so far")


# --- exports ------------------------------------------------------------------------------

MEASURE_HEADER = (
    "Subject",
    "Metric",
    "Month",
    "Started",
    "Ended",
    "Due",
    "Elapsed business hours",
    "Provider hours",
    "Client hours",
    "Supplier hours",
    "Within target",
    "Met on the owner's time",
    "Whose time (breach)",
    "Cause",
    "In full",
    "On time (promised)",
    "On time (need-by)",
    "Value",
)


def measure_rows(rows: list[SlaMeasure]) -> list[list[Any]]:
    return [
        [
            m.subject_label,
            METRIC_LABELS.get(m.metric, m.metric),
            m.period,
            m.started_at,
            m.ended_at,
            m.due_at,
            m.elapsed_hours,
            m.provider_hours,
            m.client_hours,
            m.supplier_hours,
            m.within,
            m.owner_met,
            PARTY_LABELS.get(m.breach_party, m.breach_party) if m.breach_party else None,
            cause_label(m.metric, m.cause),
            m.in_full,
            m.on_time,
            m.on_time_need_by,
            m.value,
        ]
        for m in rows
    ]


FIGURE_HEADER = ("Figure", "Value", "Detail", "Target %", "Actual %", "Compliance %", "Judged")


def figure_rows(view: MonthView) -> list[list[Any]]:
    found: list[list[Any]] = []
    for t in view.targets:
        found.append(
            [
                f"Target: {t.label}",
                _pct(t.standing.compliance_percent),
                describe_target(t.target, view.calendar)
                + "; breaches by whose time: "
                + ", ".join(f"{PARTY_LABELS[p]} {n}" for p, n in t.breaches.items()),
                t.standing.target_percent,
                t.standing.actual_percent,
                t.standing.compliance_percent,
                t.standing.judged,
            ]
        )
    for f in view.figures:
        found.append([f.label, f.value, f.detail, None, None, None, None])
    for metric, listed in view.causes.items():
        for _cause, label, items in listed:
            found.append(
                [f"{METRIC_LABELS[metric]} by cause: {label}", items, "", None, None, None, None]
            )
    if view.credit is not None:
        found.append(
            [
                "SLA credit",
                view.credit.amount,
                f"{view.credit.credit_percent} % of the fee"
                + (f" in {view.credit.currency}" if view.credit.currency else ""),
                None,
                None,
                None,
                None,
            ]
        )
    return found


def describe_target(target: Target, calendar: Calendar) -> str:
    kind = KINDS[target.metric]
    hours = _hours(target.within_hours, calendar) if target.within_hours is not None else ""
    return f"{target.percent} % {kind.describe.format(hours=hours)}"


def chart_data(view: MonthView) -> dict[str, Any]:
    """The trend as the charts read it: month labels and one series per target."""

    def num(value: Decimal | None) -> float | None:
        return float(value) if value is not None else None

    return {
        "labels": [p["period"].strftime("%b %Y") for p in view.trend],
        "targets": [
            {"label": t.label, "values": [num(p[t.target.metric]) for p in view.trend]}
            for t in view.targets
        ],
        "handoff_p50": [num(p["handoff_p50_hours"]) for p in view.trend],
        "handoff_p90": [num(p["handoff_p90_hours"]) for p in view.trend],
    }


# --- the API's months ---------------------------------------------------------------------

MAX_MONTHS = 24


def month_range(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """``from``..``to`` as first days of months: default the last 12 months; at most 24."""
    end = month_start(end) if end else month_start(today)
    start = month_start(start) if start else shift(end, -(TREND_MONTHS - 1))
    if start > end:
        raise ValidationFailed({"from": "Give a month no later than 'to'."})
    if (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
        raise ValidationFailed({"from": f"Ask for at most {MAX_MONTHS} months at a time."})
    return start, end


def months(session: Session, engagement: Engagement, start: date, end: date) -> list[dict]:
    """Each month from ``start`` to ``end``: its figures, target standing and credit
    (two statements, whatever the range)."""
    tenant_id = engagement.client_id
    targets = targets_of(engagement)
    rows = session.scalars(
        sa.select(SlaMonthly)
        .where(
            SlaMonthly.tenant_id == tenant_id,
            SlaMonthly.engagement_id == engagement.id,
            SlaMonthly.period >= start,
            SlaMonthly.period <= end,
        )
        .order_by(SlaMonthly.metric, SlaMonthly.cause)
    ).all()
    credits = {
        c.period: c
        for c in session.scalars(
            sa.select(SlaCredit).where(
                SlaCredit.tenant_id == tenant_id,
                SlaCredit.engagement_id == engagement.id,
                SlaCredit.period >= start,
                SlaCredit.period <= end,
            )
        )
    }
    by_month: dict[date, list[SlaMonthly]] = defaultdict(list)
    for row in rows:
        by_month[row.period].append(row)
    found = []
    month = end
    while month >= start:
        listed = by_month.get(month, [])
        whole = {r.metric: r for r in listed if r.cause == ""}
        credit = credits.get(month)
        found.append(
            {
                "period": month.strftime("%Y-%m"),
                "engagement_id": engagement.id,
                "provider": engagement.provider.name,
                "targets": [
                    {
                        "metric": t.target.metric,
                        "label": t.label,
                        "owner": t.target.owner,
                        "within_hours": t.target.within_hours,
                        "target_percent": t.standing.target_percent,
                        "actual_percent": t.standing.actual_percent,
                        "compliance_percent": t.standing.compliance_percent,
                        "judged": t.standing.judged,
                        "missed": t.missed,
                        "breaches": t.breaches,
                    }
                    for t in _target_rows(targets, whole)
                ],
                "figures": listed,
                "credit": credit if credit is not None and credit.missed else None,
            }
        )
        month = shift(month, -1)
    return found
