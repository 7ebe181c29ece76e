"""The client's SLA dashboard: one engagement's month, read from the rollup's tables.

Nothing here computes a figure from orders or requirements: the rollup
(``rollup.py``) has already measured every subject and aggregated every
month, so a dashboard is a handful of reads of small tables, the same
number of statements whatever the month holds. The page, the exports, the
monthly PDF and the API all read through here, so they show the same
figures.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.procurement.sla.credits import TARGET_METRIC, Standing, standing
from baton.procurement.sla.dashboard_terms import (
    BREACHES_SHOWN,
    TREND_MONTHS,
    cause_label,
    measure_filter,
    percent,
    shift,
)
from baton.procurement.sla.models import SlaCredit, SlaMeasure, SlaMonthly
from baton.tenants.calendars import Calendar, describe
from baton.tenants.engagement_settings import calendar_of
from baton.tenants.models import Engagement
from baton.tenants.sla_targets import KINDS, Target, targets_of

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


def pct_text(value: Decimal | None) -> str:
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
            pct_text(rate),
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
            pct_text(ack_rate),
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
            "otif", "OTIF", pct_text(otif), f"{judged} lines due", "delivery", "judged", number=otif
        ),
        Figure(
            "on_time_promised",
            "On time by promised date",
            pct_text(on_time),
            f"{delivery.on_time if delivery else 0} of {judged} lines",
            "delivery",
            "judged",
            number=on_time,
        ),
        Figure(
            "on_time_need_by",
            "On time by need-by date",
            pct_text(need_by),
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


def target_rows(targets: dict[str, Target], monthly: dict[str, SlaMonthly]) -> list[TargetRow]:
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
        .where(*measure_filter(tenant_id, engagement.id, period, None, "breaches", None))
        .order_by(SlaMeasure.started_at, SlaMeasure.id)
        .limit(BREACHES_SHOWN + 1)
    ).all()
    overdue = session.scalar(
        sa.select(sa.func.count()).where(
            *measure_filter(tenant_id, engagement.id, None, None, "overdue", None)
        )
    )
    return MonthView(
        engagement=engagement,
        calendar=calendar,
        period=period,
        targets=target_rows(targets, monthly),
        figures=figures_of(monthly, overdue or 0, calendar),
        causes=dict(causes),
        trend=_trend(rows, targets, period),
        credit=credit if credit is not None and credit.missed else None,
        breaches=list(breaches[:BREACHES_SHOWN]),
        more_breaches=len(breaches) > BREACHES_SHOWN,
        overdue_lines=overdue or 0,
        monthly=monthly,
    )


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
