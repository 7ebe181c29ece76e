"""The provider's one queue across all its clients.

A page is read in index order and stops after one page: the partial indexes
``ix_requirements_queue_*`` (provider, sort key, id) hold exactly the queue's
statuses, so the first page of 200,000 rows costs the same as of 200
(see bench/queue_page.py). No total count is taken for the same reason.
"""

from __future__ import annotations

import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from baton.platform.db import utcnow
from baton.platform.errors import ValidationFailed
from baton.platform.inputs import MAX_PAGE
from baton.platform.planner import in_index_order, with_sorting
from baton.platform.search import LIKE_ESCAPE, contains
from baton.procurement.handoff.review import provider_visible, provider_visible_in_order
from baton.procurement.sla import at_risk
from baton.sourcing.requirements import states
from baton.sourcing.requirements.models import PRIORITIES, Requirement, RequirementLine
from baton.sourcing.suppliers.models import Supplier
from baton.tenants.models import Organisation, User
from baton.tenants.services import engaged_client_ids

PAGE_SIZE = 50
MAX_SEARCH = 200
SORTS = {
    "sla": "SLA due time",
    "need_by": "Need-by date",
    "age": "Oldest first",
}
# Waiting on the provider: what counts against its handoff-to-release clock today.
# On the provider's clock and due today (in its time zone), or already past due.
# At risk: due within the next business hours of the engagement's calendar (sla/at_risk.py).
DUE_FILTERS = {
    "today": "Due today",
    "overdue": "Overdue",
    "at_risk": f"At risk (due within {at_risk.RISK_HOURS} business hours)",
}


@dataclass
class QueueFilters:
    client_id: uuid.UUID | None = None
    status: str | None = None
    buyer: str | None = None  # "me", "none" or a user id
    priority: str | None = None
    need_by_from: date | None = None
    need_by_to: date | None = None
    readiness: str | None = None  # "ready" or "not_ready"
    due: str | None = None  # "today" or "overdue"
    # Words of the reference, title, supplier name or a line's item code.
    q: str | None = None
    sort: str = "sla"
    page: int = 1

    def check(self) -> None:
        errors: dict[str, str] = {}
        if self.status and self.status not in states.QUEUE:
            errors["status"] = f"Choose one of {', '.join(states.QUEUE)}."
        if self.priority and self.priority not in PRIORITIES:
            errors["priority"] = f"Choose one of {', '.join(PRIORITIES)}."
        if self.readiness and self.readiness not in ("ready", "not_ready"):
            errors["readiness"] = "Choose ready or not_ready."
        if self.due and self.due not in DUE_FILTERS:
            errors["due"] = f"Choose one of {', '.join(DUE_FILTERS)}."
        if self.sort not in SORTS:
            errors["sort"] = f"Sort by one of {', '.join(SORTS)}."
        if self.buyer and self.buyer not in ("me", "none"):
            try:
                uuid.UUID(self.buyer)
            except ValueError:
                errors["buyer"] = "Choose a buyer from the list."
        if self.need_by_from and self.need_by_to and self.need_by_from > self.need_by_to:
            errors["need_by_to"] = "The end of the need-by window is before its start."
        if self.q is not None and len(self.q) > MAX_SEARCH:
            errors["q"] = f"Search for at most {MAX_SEARCH} characters."
        if not 1 <= self.page <= MAX_PAGE:
            errors["page"] = f"Choose a page between 1 and {MAX_PAGE:,}."
        if errors:
            raise ValidationFailed(errors)


@dataclass
class QueueRow:
    requirement: Requirement
    client_name: str
    buyer_name: str | None
    supplier_name: str | None
    # Due within the at-risk window on the provider's clock, not yet past due.
    at_risk: bool = False


@dataclass
class DueToday:
    client_id: uuid.UUID
    client_name: str
    count: int


@dataclass
class QueuePage:
    rows: list[QueueRow]
    page: int
    has_next: bool
    due_today: list[DueToday] = field(default_factory=list)
    # How many of the whole queue are at risk (the warning at the top of the page).
    at_risk: int = 0


def _sort_keys(sort: str) -> list:
    if sort == "need_by":
        return [Requirement.earliest_need_by.asc().nulls_last(), Requirement.id]
    if sort == "age":
        return [Requirement.submitted_at.asc(), Requirement.id]
    return [Requirement.sla_due_at.asc(), Requirement.id]


def day_bounds(tz_name: str | None, now: datetime | None = None) -> tuple[datetime, datetime]:
    """Start and end of today in the organisation's time zone, as UTC instants."""
    try:
        tz = ZoneInfo(tz_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    local = (now or utcnow()).astimezone(tz)
    start = datetime(local.year, local.month, local.day, tzinfo=tz)
    end = start + timedelta(days=1)
    return start.astimezone(UTC), end.astimezone(UTC)


def in_index_order_for(filters: QueueFilters) -> bool:
    """Whether the page is read walking ``ix_requirements_queue_sla`` and
    stopping after one page: by due date, with no filter but a range of it.

    Any other filter may match a handful of a provider's 200,000 requirements,
    and a walk in the index's order would then read them all to find the few;
    the planner, free to sort, picks the index that narrows instead."""
    narrowing = (
        filters.client_id,
        filters.status,
        filters.buyer,
        filters.priority,
        filters.need_by_from,
        filters.need_by_to,
        filters.readiness,
        (filters.q or "").strip(),
    )
    return (
        filters.sort == "sla" and filters.due in (None, "today", "overdue") and not any(narrowing)
    )


def read_queue(
    session: Session,
    provider: Organisation,
    user_id: uuid.UUID | None,
    filters: QueueFilters,
    *,
    page_size: int = PAGE_SIZE,
    with_due_today: bool = True,
    last_read: bool = False,
) -> QueuePage:
    """A page of the queue. ``last_read``: the caller reads nothing more in
    this transaction (the API's page, without the due-today panel), so the
    index walk's planner setting ends with it (``in_index_order``)."""
    filters.check()
    ordered = in_index_order_for(filters)
    if not ordered:
        with_sorting(session)
    client_ids = engaged_client_ids(session, provider.id)
    if filters.client_id is not None:
        # A client the provider is not engaged with simply has nothing in the queue.
        client_ids = client_ids & {filters.client_id}
    if not client_ids:
        return QueuePage([], filters.page, False, [])
    visible = provider_visible_in_order if ordered else provider_visible
    stmt = _with_names(sa.select(Requirement)).where(
        *visible(session, provider.id, client_ids),
        Requirement.status.in_(states.QUEUE),
    )
    if filters.status:
        stmt = stmt.where(Requirement.status == filters.status)
    if filters.priority:
        stmt = stmt.where(Requirement.priority == filters.priority)
    if filters.buyer == "me":
        stmt = stmt.where(Requirement.assigned_buyer_id == user_id)
    elif filters.buyer == "none":
        stmt = stmt.where(Requirement.assigned_buyer_id.is_(None))
    elif filters.buyer:
        stmt = stmt.where(Requirement.assigned_buyer_id == uuid.UUID(filters.buyer))
    if filters.need_by_from:
        stmt = stmt.where(Requirement.earliest_need_by >= filters.need_by_from)
    if filters.need_by_to:
        stmt = stmt.where(Requirement.earliest_need_by <= filters.need_by_to)
    if filters.readiness == "ready":
        stmt = stmt.where(Requirement.ready.is_(True))
    elif filters.readiness == "not_ready":
        stmt = stmt.where(Requirement.ready.is_(False))
    now = utcnow()
    horizon: dict[uuid.UUID, datetime] = {}
    if with_due_today or filters.due == "at_risk":
        engagements = [
            e for e in at_risk.active_engagements(session, provider) if e.client_id in client_ids
        ]
        horizon = at_risk.horizons(engagements, now)
    if filters.due:
        stmt = stmt.where(Requirement.status.in_(states.ON_PROVIDER_CLOCK))
        if filters.due == "at_risk":
            stmt = stmt.where(at_risk.requirement_window(horizon), Requirement.sla_due_at >= now)
        elif filters.due == "today":
            start, end = still_due_today(provider.timezone)
            stmt = stmt.where(Requirement.sla_due_at >= start, Requirement.sla_due_at < end)
        else:
            stmt = stmt.where(Requirement.sla_due_at < utcnow())
    if filters.q and filters.q.strip():
        stmt = stmt.where(_matches(filters.q))
    stmt = (
        stmt.order_by(*_sort_keys(filters.sort))
        .limit(page_size + 1)
        .offset((filters.page - 1) * page_size)
    )
    restore = with_due_today or not last_read
    with in_index_order(session, restore=restore) if ordered else nullcontext():
        found = session.execute(stmt).all()
    has_next = len(found) > page_size
    rows = [
        QueueRow(requirement=r, client_name=client or "", buyer_name=buyer, supplier_name=supplier)
        for r, client, buyer, supplier in found[:page_size]
    ]
    for row in rows:
        row.at_risk = at_risk.is_at_risk(row.requirement, horizon, now)
    due = due_today(session, provider, client_ids) if with_due_today else []
    risky = count_at_risk(session, provider, client_ids, horizon, now) if with_due_today else 0
    return QueuePage(rows, filters.page, has_next, due, risky)


def count_at_risk(
    session: Session,
    provider: Organisation,
    client_ids: set[uuid.UUID],
    horizon: dict[uuid.UUID, datetime],
    now: datetime,
) -> int:
    """Requirements on the provider's clock due within the at-risk window, not yet past due."""
    if not horizon:
        return 0
    return session.scalar(
        sa.select(sa.func.count()).where(
            *provider_visible(session, provider.id, client_ids),
            at_risk.requirement_window(horizon),
            Requirement.sla_due_at >= now,
        )
    )


def _matches(text: str) -> sa.ColumnElement[bool]:
    """One condition in the page's own statement, so a search costs no extra query."""
    pattern = contains(text)
    supplier = (
        sa.select(Supplier.id)
        .where(
            Supplier.tenant_id == Requirement.tenant_id,
            Supplier.id == Requirement.supplier_id,
            Supplier.name.ilike(pattern, escape=LIKE_ESCAPE),
        )
        .exists()
    )
    item = (
        sa.select(RequirementLine.id)
        .where(
            RequirementLine.tenant_id == Requirement.tenant_id,
            RequirementLine.requirement_id == Requirement.id,
            RequirementLine.item_code.ilike(pattern, escape=LIKE_ESCAPE),
        )
        .exists()
    )
    return sa.or_(
        Requirement.client_reference.ilike(pattern, escape=LIKE_ESCAPE),
        Requirement.title.ilike(pattern, escape=LIKE_ESCAPE),
        supplier,
        item,
    )


def _with_names(stmt: sa.Select) -> sa.Select:
    """The page's client, buyer and supplier names, joined in the page's own
    statement: the page is walked in index order and stops after one page
    (``in_index_order``), so each join is one key lookup for each of its 51
    rows, where separate lookups cost a round trip and a statement each."""
    # An alias: the search's EXISTS over suppliers must not correlate to it.
    supplier = aliased(Supplier, name="page_supplier")
    return (
        stmt.add_columns(Organisation.name, User.name, supplier.name)
        .join(Organisation, Organisation.id == Requirement.tenant_id)
        .outerjoin(User, User.id == Requirement.assigned_buyer_id)
        .outerjoin(
            supplier,
            sa.and_(
                supplier.tenant_id == Requirement.tenant_id,
                supplier.id == Requirement.supplier_id,
            ),
        )
    )


def still_due_today(tz_name: str | None, now: datetime | None = None) -> tuple[datetime, datetime]:
    """From now to the end of the provider's day: what falls due today and is not
    yet overdue, so an item is counted as one or the other, never both."""
    now = now or utcnow()
    start, end = day_bounds(tz_name, now)
    return max(start, now), end


def due_today(
    session: Session, provider: Organisation, client_ids: set[uuid.UUID] | None = None
) -> list[DueToday]:
    """Per client, how many requirements fall due today on the provider's clock."""
    if client_ids is None:
        client_ids = engaged_client_ids(session, provider.id)
    if not client_ids:
        return []
    start, end = still_due_today(provider.timezone)
    rows = session.execute(
        sa.select(Requirement.tenant_id, sa.func.count())
        .where(
            *provider_visible(session, provider.id, client_ids),
            Requirement.status.in_(states.ON_PROVIDER_CLOCK),
            Requirement.sla_due_at >= start,
            Requirement.sla_due_at < end,
        )
        .group_by(Requirement.tenant_id)
    ).all()
    names = dict(
        session.execute(
            sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(client_ids))
        ).all()
    )
    counts = dict(rows)
    return sorted(
        (DueToday(cid, names.get(cid, ""), counts.get(cid, 0)) for cid in client_ids),
        key=lambda d: (-d.count, d.client_name),
    )


def engaged_clients(session: Session, provider: Organisation) -> list[Organisation]:
    ids = engaged_client_ids(session, provider.id)
    if not ids:
        return []
    return list(
        session.scalars(
            sa.select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)
        )
    )
