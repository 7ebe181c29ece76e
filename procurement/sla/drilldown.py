"""The measures behind an SLA figure (the drill-down), and the dashboard's exports."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.errors import ValidationFailed
from baton.procurement.sla.dashboard import (
    MonthView,
    describe_target,
    pct_text,
)
from baton.procurement.sla.dashboard_terms import (
    METRIC_LABELS,
    PAGE_SIZE,
    PARTY_LABELS,
    cause_label,
    measure_filter,
    parse_cause,
    parse_metric,
    parse_only,
    parse_period,
)
from baton.procurement.sla.models import SlaMeasure
from baton.tenants.calendars import Calendar, describe

# --- the drill-down -----------------------------------------------------------------------


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
            *measure_filter(
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
                pct_text(t.standing.compliance_percent),
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
