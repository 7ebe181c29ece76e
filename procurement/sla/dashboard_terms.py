"""The SLA pages' vocabulary: metrics, labels, and what a request may ask for
(a month, an engagement, a drill-down's filters), parsed with field-named errors."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from baton.platform.errors import NotFound, ValidationFailed
from baton.procurement.orders.change_models import CHANGE_CAUSES
from baton.procurement.orders.issue_models import CAUSE_LABELS
from baton.procurement.sla.models import SlaMeasure
from baton.sourcing.requirements.models import RETURN_REASONS
from baton.tenants.models import Engagement

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


def measure_filter(
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
