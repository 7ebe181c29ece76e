"""The SLA rollup: measures and monthly figures kept up to date, incrementally.

Every run, per tenant, it reads the audit events written since its mark
(``SlaRollupMark``; the chain's sequence makes "since" exact, and a tenant's
events commit in sequence order because the chain head is locked until
commit), finds the subjects they touch, recomputes those subjects' measures
and re-aggregates every (engagement, month) whose measures moved: a receipt
entered today for an order line promised last month changes last month's
OTIF. Open measures whose limit has passed since the last run are re-judged
too (a breach needs no event). ``rebuild`` recomputes everything.

The scheduled scan (``jobs.py``) reads every tenant's mark, so it is declared
cross-tenant (the service role); it moves the marks and emits one job per
tenant with its range of events, which runs in that tenant's own context and
is retried until it succeeds. ``run`` does the same in one session (the
operator's command, the bench, tests).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from baton.platform.audit import AuditChainHead, AuditEvent
from baton.platform.db import among, utcnow
from baton.procurement.orders.issue_states import ORDER_ISSUE
from baton.procurement.orders.models import POLine, PurchaseOrder
from baton.procurement.orders.states import PURCHASE_ORDER
from baton.procurement.sla import credits, sources
from baton.procurement.sla.aggregate import aggregate
from baton.procurement.sla.measures import (
    Scope,
    issue_measures,
    order_measures,
    requirement_measures,
)
from baton.procurement.sla.models import SlaMeasure, SlaRollupMark
from baton.sourcing.requirements.models import Requirement
from baton.sourcing.requirements.states import REQUIREMENT
from baton.tenants.engagement_settings import calendar_of
from baton.tenants.models import Engagement, Organisation
from baton.tenants.sla_targets import targets_of

BATCH = 2000


@dataclass
class Touched:
    requirements: set[uuid.UUID] = field(default_factory=set)
    orders: set[uuid.UUID] = field(default_factory=set)
    issues: set[uuid.UUID] = field(default_factory=set)
    engagements: set[uuid.UUID] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.requirements or self.orders or self.issues or self.engagements)


@dataclass
class Result:
    tenants: int = 0
    subjects: int = 0
    measures: int = 0
    months: int = 0

    def add(self, other: Result) -> None:
        self.tenants += other.tenants
        self.subjects += other.subjects
        self.measures += other.measures
        self.months += other.months


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def touched_by_events(session: Session, tenant_id: uuid.UUID, after: int, upto: int) -> Touched:
    touched = Touched()
    rows = session.execute(
        sa.select(AuditEvent.entity_type, AuditEvent.entity_id).where(
            AuditEvent.tenant_id == tenant_id, AuditEvent.seq > after, AuditEvent.seq <= upto
        )
    )
    # A released change order writes the order's own ``revise`` event.
    for entity_type, entity_id in rows:
        key = _uuid(entity_id)
        if key is None:
            continue
        if entity_type == "requirement":
            touched.requirements.add(key)
        elif entity_type == "purchase_order":
            touched.orders.add(key)
        elif entity_type == "order_issue":
            touched.issues.add(key)
        elif entity_type == "engagement":
            touched.engagements.add(key)
    return touched


def touched_by_time(
    session: Session, tenant_id: uuid.UUID, since: datetime | None, now: datetime
) -> Touched:
    """Open measures whose limit (or promised date) passed since the last run."""
    touched = Touched()
    stmt = sa.select(
        SlaMeasure.subject_type, SlaMeasure.subject_id, SlaMeasure.requirement_id, SlaMeasure.po_id
    ).where(SlaMeasure.tenant_id == tenant_id, SlaMeasure.due_at <= now)
    if since is not None:
        # Inclusive: a measure re-judged at its exact limit is still within, and due again.
        stmt = stmt.where(SlaMeasure.due_at >= since)
    for subject_type, subject_id, requirement_id, po_id in session.execute(stmt):
        _add_subject(touched, subject_type, subject_id, requirement_id, po_id)
    return touched


def _add_subject(touched: Touched, subject_type, subject_id, requirement_id, po_id) -> None:
    if subject_type in ("requirement", "review"):
        touched.requirements.add(requirement_id or subject_id)
    elif subject_type == "po_issue":
        touched.issues.add(subject_id)
    elif po_id is not None:
        touched.orders.add(po_id)


def _engagement_subjects(session: Session, tenant_id: uuid.UUID, touched: Touched) -> None:
    """An engagement whose targets or calendar changed: all of its subjects."""
    if not touched.engagements:
        return
    ids = touched.engagements
    touched.requirements |= set(
        session.scalars(
            sa.select(Requirement.id).where(
                Requirement.tenant_id == tenant_id, among(session, Requirement.engagement_id, ids)
            )
        )
    )
    touched.orders |= set(
        session.scalars(
            sa.select(PurchaseOrder.id).where(
                PurchaseOrder.tenant_id == tenant_id,
                among(session, PurchaseOrder.engagement_id, ids),
            )
        )
    )
    from baton.procurement.orders.issue_models import POIssue

    touched.issues |= set(
        session.scalars(
            sa.select(POIssue.id)
            .join(
                PurchaseOrder,
                sa.and_(
                    PurchaseOrder.tenant_id == POIssue.tenant_id, PurchaseOrder.id == POIssue.po_id
                ),
            )
            .where(POIssue.tenant_id == tenant_id, among(session, PurchaseOrder.engagement_id, ids))
        )
    )


def _scopes(session: Session, tenant_id: uuid.UUID, now: datetime) -> dict[uuid.UUID, Scope]:
    engagements = session.scalars(
        sa.select(Engagement)
        .options(joinedload(Engagement.provider))
        .where(Engagement.client_id == tenant_id)
    )
    return {
        e.id: Scope(
            tenant_id=tenant_id,
            provider_id=e.provider_id,
            engagement_id=e.id,
            calendar=calendar_of(e),
            targets=targets_of(e),
            now=now,
            monthly_fee=e.monthly_fee,
            fee_currency=e.fee_currency,
            credit_cap_percent=e.credit_cap_percent,
        )
        for e in engagements
    }


def _chunks(ids: Iterable[uuid.UUID]) -> Iterable[set[uuid.UUID]]:
    ordered = sorted(ids)
    for i in range(0, len(ordered), BATCH):
        yield set(ordered[i : i + BATCH])


def _compute(session: Session, tenant_id: uuid.UUID, scopes: dict, touched: Touched) -> list[dict]:
    rows: list[dict] = []
    # An order's approval wait is its requirements' client time: recompute them too.
    for chunk in _chunks(touched.orders):
        touched.requirements |= set(
            session.scalars(
                sa.select(POLine.requirement_id)
                .where(POLine.tenant_id == tenant_id, among(session, POLine.po_id, chunk))
                .distinct()
            )
        )
    for chunk in _chunks(touched.requirements):
        for engagement_id, facts in sources.requirements(session, tenant_id, chunk):
            scope = scopes.get(engagement_id)
            if scope is not None:
                rows += requirement_measures(
                    scope, facts, REQUIREMENT.waits_on, PURCHASE_ORDER.waits_on
                )
    numbers: dict[uuid.UUID, tuple] = {}
    for chunk in _chunks(touched.orders):
        for engagement_id, facts in sources.orders(session, tenant_id, chunk):
            numbers[facts.id] = (engagement_id, facts)
            scope = scopes.get(engagement_id)
            if scope is not None:
                rows += order_measures(scope, facts, PURCHASE_ORDER.waits_on)
    for chunk in _chunks(touched.issues):
        found = sources.issues(session, tenant_id, chunk)
        missing = {i.po_id for i, _h in found} - set(numbers)
        for engagement_id, facts in sources.orders(session, tenant_id, missing):
            numbers[facts.id] = (engagement_id, facts)
        for issue, history in found:
            engagement_id, po = numbers.get(issue.po_id, (None, None))
            scope = scopes.get(engagement_id)
            if scope is not None:
                facts = sources.issue_facts(issue, history, po.number)
                rows += issue_measures(scope, facts, po, ORDER_ISSUE.waits_on)
    return rows


def _old_keys(session: Session, tenant_id: uuid.UUID, touched: Touched) -> set[tuple]:
    """Delete the touched subjects' measures; return the months they counted in."""
    m = SlaMeasure
    conditions = []
    for chunk in _chunks(touched.requirements):
        conditions.append(
            sa.and_(
                m.subject_type.in_(("requirement", "review")),
                among(session, m.requirement_id, chunk),
            )
        )
    for chunk in _chunks(touched.orders):
        conditions.append(
            sa.and_(
                m.subject_type.in_(("purchase_order", "po_line", "change_order")),
                among(session, m.po_id, chunk),
            )
        )
    for chunk in _chunks(touched.issues):
        conditions.append(
            sa.and_(m.subject_type == "po_issue", among(session, m.subject_id, chunk))
        )
    keys: set[tuple] = set()
    for condition in conditions:
        where = [m.tenant_id == tenant_id, condition]
        keys |= {
            (e, p, pr)
            for e, p, pr in session.execute(
                sa.select(m.engagement_id, m.period, m.provider_id).where(*where).distinct()
            )
            if p is not None
        }
        session.execute(sa.delete(m).where(*where))
    return keys


def _defaults(row: dict) -> dict:
    """What the ORM would fill in: a Core insert is several times faster in bulk."""
    now = utcnow()
    return row | {"id": uuid.uuid4(), "created_at": now, "updated_at": now}


def roll_tenant(session: Session, tenant_id: uuid.UUID, touched: Touched, now: datetime) -> Result:
    result = Result(tenants=1)
    if not touched:
        return result
    scopes = _scopes(session, tenant_id, now)
    _engagement_subjects(session, tenant_id, touched)
    rows = _compute(session, tenant_id, scopes, touched)
    keys = _old_keys(session, tenant_id, touched)
    if rows:
        session.execute(sa.insert(SlaMeasure.__table__), [_defaults(r) for r in rows])
    keys |= {(r["engagement_id"], r["period"], r["provider_id"]) for r in rows if r["period"]}
    for engagement_id, period, provider_id in sorted(keys, key=lambda k: (str(k[0]), k[1])):
        aggregate(session, tenant_id, provider_id, engagement_id, period)
        credits.compute(session, scopes.get(engagement_id), period)
    result.subjects = len(touched.requirements) + len(touched.orders) + len(touched.issues)
    result.measures = len(rows)
    result.months = len(keys)
    return result


def _marks(session: Session, tenant_ids: set[uuid.UUID] | None) -> list[tuple]:
    """(tenant, head seq, mark seq, last run) for every client tenant with an audit chain."""
    stmt = (
        sa.select(
            AuditChainHead.tenant_id, AuditChainHead.seq, SlaRollupMark.seq, SlaRollupMark.rolled_at
        )
        .join(Organisation, Organisation.id == AuditChainHead.tenant_id)
        .outerjoin(SlaRollupMark, SlaRollupMark.tenant_id == AuditChainHead.tenant_id)
        .where(Organisation.kind == "client")
        .order_by(AuditChainHead.tenant_id)
    )
    if tenant_ids is not None:
        stmt = stmt.where(among(session, AuditChainHead.tenant_id, tenant_ids))
    return list(session.execute(stmt))


def set_mark(session: Session, tenant_id: uuid.UUID, seq: int, now: datetime) -> None:
    mark = session.get(SlaRollupMark, tenant_id)
    if mark is None:
        session.add(SlaRollupMark(tenant_id=tenant_id, seq=seq, rolled_at=now))
    else:
        mark.seq, mark.rolled_at = seq, now
    session.flush()


def roll_range(
    session: Session,
    tenant_id: uuid.UUID,
    after: int,
    upto: int,
    since: datetime | None,
    now: datetime,
) -> Result:
    """One tenant's pass: the events after ``after`` up to ``upto``, and the open
    measures whose limit passed after ``since``. Needs only that tenant's rows, so
    the scheduled job runs it in the tenant's own context."""
    touched = touched_by_events(session, tenant_id, after, upto) if upto > after else Touched()
    by_time = touched_by_time(session, tenant_id, since, now)
    touched.requirements |= by_time.requirements
    touched.orders |= by_time.orders
    touched.issues |= by_time.issues
    return roll_tenant(session, tenant_id, touched, now)


def due(session: Session, now: datetime, tenant_ids: set[uuid.UUID] | None = None) -> list[tuple]:
    """(tenant, mark, head, last run) of every tenant with something to roll up at ``now``:
    new audit events, or an open measure whose limit passed since its last run."""
    marks = _marks(session, tenant_ids)
    stmt = (
        sa.select(SlaMeasure.tenant_id)
        .join(SlaRollupMark, SlaRollupMark.tenant_id == SlaMeasure.tenant_id)
        .where(SlaMeasure.due_at <= now, SlaMeasure.due_at >= SlaRollupMark.rolled_at)
        .distinct()
    )
    timed_out = set(session.scalars(stmt))
    return [
        (tenant_id, mark or 0, head, rolled_at)
        for tenant_id, head, mark, rolled_at in marks
        if head > (mark or 0) or tenant_id in timed_out
    ]


def run(
    session: Session, now: datetime | None = None, tenant_ids: set[uuid.UUID] | None = None
) -> Result:
    """One incremental pass over every tenant (or ``tenant_ids``), in this session."""
    now = now or utcnow()
    total = Result()
    for tenant_id, mark, head, rolled_at in due(session, now, tenant_ids):
        total.add(roll_range(session, tenant_id, mark, head, rolled_at, now))
        set_mark(session, tenant_id, head, now)
    return total


def rebuild(
    session: Session, now: datetime | None = None, tenant_ids: set[uuid.UUID] | None = None
) -> Result:
    """Every measure of every engagement (or of ``tenant_ids``' engagements) from scratch."""
    now = now or utcnow()
    total = Result()
    for tenant_id, head, _mark, _rolled in _marks(session, tenant_ids):
        engagements = set(
            session.scalars(sa.select(Engagement.id).where(Engagement.client_id == tenant_id))
        )
        touched = Touched(engagements=engagements)
        total.add(roll_tenant(session, tenant_id, touched, now))
        set_mark(session, tenant_id, head, now)
    return total
