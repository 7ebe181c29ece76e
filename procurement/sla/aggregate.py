"""Monthly figures from the measures: one engagement's month at a time.

Counts come from one grouped query on both databases; exact percentiles
(``percentile_cont``, linear interpolation between the two nearest ranks)
from PostgreSQL itself, and the same formula in Python on SQLite, so the
embedded demo shows the same figures.
"""

from __future__ import annotations

import math
import statistics
import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.db import utcnow
from baton.procurement.sla.models import SlaMeasure, SlaMonthly

# Metrics whose monthly figures are also broken down by cause.
BY_CAUSE = ("review_decision", "client_answer", "change_order", "issue_answer")
_PLACES = Decimal("0.000001")


def percentile_cont(values: list[Decimal], fraction: float) -> Decimal | None:
    """PostgreSQL's ``percentile_cont``: interpolate between the two nearest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    share = Decimal(str(position - low))
    result = ordered[low] + (ordered[high] - ordered[low]) * share
    return Decimal(result).quantize(_PLACES)


def _count(condition) -> sa.ColumnElement[int]:
    return sa.func.count().filter(condition)


def _figures(session: Session, where: list, group: list) -> dict[tuple, dict]:
    m = SlaMeasure
    stmt = sa.select(
        *group,
        sa.func.count().label("items"),
        _count(m.within.is_not(None)).label("judged"),
        _count(m.within.is_(True)).label("within"),
        _count(m.owner_met.is_(False)).label("owner_missed"),
        _count(sa.and_(m.within.is_(False), m.breach_party == "provider")).label("bp"),
        _count(sa.and_(m.within.is_(False), m.breach_party == "client")).label("bc"),
        _count(sa.and_(m.within.is_(False), m.breach_party == "supplier")).label("bs"),
        _count(m.in_full.is_(True)).label("in_full"),
        _count(m.on_time.is_(True)).label("on_time"),
        _count(m.on_time_need_by.is_(True)).label("on_time_need_by"),
        _count(m.on_time_need_by.is_not(None)).label("need_by_judged"),
        sa.func.sum(m.provider_hours).label("provider_hours"),
        sa.func.sum(m.client_hours).label("client_hours"),
        sa.func.sum(m.supplier_hours).label("supplier_hours"),
        sa.func.sum(m.value).label("value_sum"),
        sa.func.avg(m.value).label("value_mean"),
    ).where(*where)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.add_columns(
            sa.func.percentile_cont(0.5)
            .within_group(m.elapsed_hours)
            .filter(m.ended_at.is_not(None))
            .label("p50"),
            sa.func.percentile_cont(0.9)
            .within_group(m.elapsed_hours)
            .filter(m.ended_at.is_not(None))
            .label("p90"),
            sa.func.stddev_samp(m.value).label("value_stddev"),
        )
    found = {}
    for row in session.execute(stmt.group_by(*group)).mappings():
        found[tuple(row[c.key] for c in group)] = dict(row)
    if session.get_bind().dialect.name != "postgresql":
        hours: dict[tuple, list] = defaultdict(list)
        values: dict[tuple, list] = defaultdict(list)
        for row in session.execute(
            sa.select(*group, m.elapsed_hours, m.ended_at, m.value).where(*where)
        ):
            key = tuple(row[: len(group)])
            elapsed, ended, value = row[len(group) :]
            if ended is not None and elapsed is not None:
                hours[key].append(Decimal(elapsed))
            if value is not None:
                values[key].append(Decimal(value))
        for key, row in found.items():
            row["p50"] = percentile_cont(hours[key], 0.5)
            row["p90"] = percentile_cont(hours[key], 0.9)
            vals = values[key]
            row["value_stddev"] = statistics.stdev(vals) if len(vals) > 1 else None
    return found


def _dec(value, places: str = "0.000001") -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(places))


def aggregate(
    session: Session,
    tenant_id: uuid.UUID,
    provider_id: uuid.UUID,
    engagement_id: uuid.UUID,
    period: date,
) -> int:
    """Replace one engagement's month of figures; returns the rows written."""
    where = [
        SlaMeasure.tenant_id == tenant_id,
        SlaMeasure.engagement_id == engagement_id,
        SlaMeasure.period == period,
    ]
    whole = _figures(session, where, [SlaMeasure.metric])
    causes = _figures(
        session,
        [*where, SlaMeasure.metric.in_(BY_CAUSE), SlaMeasure.cause.is_not(None)],
        [SlaMeasure.metric, SlaMeasure.cause],
    )
    session.execute(
        sa.delete(SlaMonthly).where(
            SlaMonthly.tenant_id == tenant_id,
            SlaMonthly.engagement_id == engagement_id,
            SlaMonthly.period == period,
        )
    )
    now = utcnow()
    rows = []
    for key, fig in [(k + ("",), v) for k, v in whole.items()] + list(causes.items()):
        metric, cause = key[0], key[1]
        rows.append(
            {
                "tenant_id": tenant_id,
                "provider_id": provider_id,
                "engagement_id": engagement_id,
                "period": period,
                "metric": metric,
                "cause": cause,
                "items": fig["items"],
                "judged": fig["judged"],
                "within": fig["within"],
                "owner_missed": fig["owner_missed"],
                "breaches_provider": fig["bp"],
                "breaches_client": fig["bc"],
                "breaches_supplier": fig["bs"],
                "in_full": fig["in_full"],
                "on_time": fig["on_time"],
                "on_time_need_by": fig["on_time_need_by"],
                "need_by_judged": fig["need_by_judged"],
                "p50_hours": _dec(fig.get("p50")),
                "p90_hours": _dec(fig.get("p90")),
                "provider_hours": _dec(fig["provider_hours"]),
                "client_hours": _dec(fig["client_hours"]),
                "supplier_hours": _dec(fig["supplier_hours"]),
                "value_sum": _dec(fig["value_sum"], "0.0001"),
                "value_mean": _dec(fig["value_mean"], "0.0001"),
                "value_stddev": _dec(fig.get("value_stddev"), "0.0001"),
                "computed_at": now,
            }
        )
    if rows:
        session.execute(sa.insert(SlaMonthly), rows)
    return len(rows)
