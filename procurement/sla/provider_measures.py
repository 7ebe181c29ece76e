"""The measures behind a figure of the provider's SLA page: one filtered, paged list.

Every number on ``/provider/sla`` links here with the filters that select its
measures (a client's target this month, the breaches on the client's time, a
buyer's releases), and each measure links on to its requirement, order or issue.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.db import among
from baton.platform.errors import ValidationFailed
from baton.platform.inputs import MAX_PAGE, page_from
from baton.procurement.sla.models import SlaMeasure
from baton.procurement.sla.provider_dashboard import (
    METRIC_LABELS,
    PARTIES,
    engagements_of,
    month_bounds,
    parse_period,
)
from baton.tenants.models import Organisation

PAGE_SIZE = 50
STATES = {
    "breached": "Missed the limit (on all time)",
    "missed": "Missed on the owner's own time",
    "open": "Still open",
    "released": "Released this month",
}


@dataclass
class MeasureFilters:
    period: date
    client_id: uuid.UUID | None = None
    metric: str | None = None
    party: str | None = None
    buyer_id: uuid.UUID | None = None
    state: str | None = None
    page: int = 1

    def args(self) -> dict[str, str]:
        found = {"period": self.period.strftime("%Y-%m")}
        for name in ("client_id", "metric", "party", "buyer_id", "state"):
            value = getattr(self, name)
            if value:
                found[name] = str(value)
        return found


def filters_from(args: Mapping[str, str], tz_name: str | None) -> MeasureFilters:
    """Query-string filters; a bad one is refused naming it."""
    errors: dict[str, str] = {}

    def uuid_arg(name: str) -> uuid.UUID | None:
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        try:
            return uuid.UUID(raw)
        except ValueError:
            errors[name] = "Not a valid choice."
            return None

    try:
        period = parse_period(args.get("period"), tz_name)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        period = parse_period(None, tz_name)
    metric = (args.get("metric") or "").strip() or None
    if metric and metric not in METRIC_LABELS:
        errors["metric"] = f"Choose one of {', '.join(METRIC_LABELS)}."
    party = (args.get("party") or "").strip() or None
    if party and party not in PARTIES:
        errors["party"] = f"Choose one of {', '.join(PARTIES)}."
    state = (args.get("state") or "").strip() or None
    if state and state not in STATES:
        errors["state"] = f"Choose one of {', '.join(STATES)}."
    page = page_from(args.get("page"))
    if not 1 <= page <= MAX_PAGE:
        errors["page"] = f"Choose a page between 1 and {MAX_PAGE:,}."
    filters = MeasureFilters(
        period=period,
        client_id=uuid_arg("client_id"),
        metric=metric,
        party=party,
        buyer_id=uuid_arg("buyer_id"),
        state=state,
        page=page,
    )
    if errors:
        raise ValidationFailed(errors)
    return filters


@dataclass
class MeasurePage:
    rows: list[SlaMeasure]
    page: int
    has_next: bool
    client_names: dict[uuid.UUID, str]


def list_measures(
    session: Session, provider: Organisation, filters: MeasureFilters, page_size: int = PAGE_SIZE
) -> MeasurePage:
    engagements = engagements_of(session, provider)
    names = {e.client_id: e.client.name for e in engagements}
    client_ids = set(names)
    if filters.client_id is not None:
        client_ids &= {filters.client_id}  # a client not engaged with the provider: nothing
    if not client_ids:
        return MeasurePage([], filters.page, False, names)
    m = SlaMeasure
    where = [m.provider_id == provider.id, among(session, m.tenant_id, client_ids)]
    if filters.state == "released":
        start, end = month_bounds(filters.period, provider.timezone)
        where += [m.metric == "handoff_to_release", m.ended_at >= start, m.ended_at < end]
    else:
        where.append(m.period == filters.period)
    if filters.metric:
        where.append(m.metric == filters.metric)
    if filters.party:
        where += [m.breach_party == filters.party, m.within.is_(False)]
    if filters.buyer_id:
        where.append(m.buyer_id == filters.buyer_id)
    if filters.state == "breached":
        where.append(m.within.is_(False))
    elif filters.state == "missed":
        where.append(m.owner_met.is_(False))
    elif filters.state == "open":
        where.append(m.ended_at.is_(None))
    rows = list(
        session.scalars(
            sa.select(m)
            .where(*where)
            .order_by(m.started_at.desc().nulls_last(), m.id)
            .limit(page_size + 1)
            .offset((filters.page - 1) * page_size)
        )
    )
    return MeasurePage(rows[:page_size], filters.page, len(rows) > page_size, names)
