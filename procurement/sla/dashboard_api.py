"""The SLA API's months: figures and target standing for a range of months."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.errors import ValidationFailed
from baton.procurement.sla.dashboard import target_rows
from baton.procurement.sla.dashboard_terms import (
    TREND_MONTHS,
    month_start,
    shift,
)
from baton.procurement.sla.models import SlaCredit, SlaMonthly
from baton.tenants.models import Engagement
from baton.tenants.sla_targets import targets_of

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
                    for t in target_rows(targets, whole)
                ],
                "figures": listed,
                "credit": credit if credit is not None and credit.missed else None,
            }
        )
        month = shift(month, -1)
    return found
