"""Each measured thing, computed from its rows and its status history (docs/sla.md).

Pure functions: the rollup (``rollup.py``) loads a subject's rows and audit
events (``sources.py``) and these turn them into ``SlaMeasure`` values. The
same inputs give the same figures on PostgreSQL and SQLite, because nothing
here asks the database.

A measure counts in the month (in the engagement's time zone) of its start,
so a month's cohort is stable: what was handed off in March is judged in
March's figures, however late it finishes. Deliveries count in the month of
their promised date.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from baton.procurement.sla import clock
from baton.tenants.calendars import Calendar, day_end, local_today
from baton.tenants.sla_targets import Target

History = Sequence[tuple[datetime, str]]  # (moment, status after)


@dataclass(frozen=True)
class Scope:
    """What every measure of one engagement shares."""

    tenant_id: uuid.UUID
    provider_id: uuid.UUID
    engagement_id: uuid.UUID
    calendar: Calendar
    targets: dict[str, Target]
    now: datetime
    # What the month's credit is computed from (credits.py).
    monthly_fee: Decimal | None = None
    fee_currency: str | None = None
    credit_cap_percent: Decimal | None = None

    def month(self, moment: datetime | date) -> date:
        day = moment if not isinstance(moment, datetime) else moment.astimezone(self.calendar.zone)
        return date(day.year, day.month, 1)


def _parties(history: History, waits_on) -> list[tuple[datetime, str | None]]:
    return [(at, waits_on(status)) for at, status in history]


def _first(history: History, statuses: tuple[str, ...], after: datetime | None = None):
    for at, status in history:
        if status in statuses and (after is None or at > after):
            return at
    return None


def _row(scope: Scope, metric: str, subject_type: str, subject_id: uuid.UUID, **kw: Any) -> dict:
    row = {
        "tenant_id": scope.tenant_id,
        "provider_id": scope.provider_id,
        "engagement_id": scope.engagement_id,
        "metric": metric,
        "subject_type": subject_type,
        "subject_id": subject_id,
    }
    for name in (
        "subject_label",
        "po_id",
        "requirement_id",
        "supplier_id",
        "buyer_id",
        "cause",
        "period",
        "started_at",
        "ended_at",
        "due_at",
        "elapsed_hours",
        "provider_hours",
        "client_hours",
        "supplier_hours",
        "within",
        "owner_met",
        "breach_party",
        "in_full",
        "on_time",
        "on_time_need_by",
        "value",
    ):
        row[name] = kw.get(name)
    return row


def timed(
    scope: Scope,
    metric: str,
    subject_type: str,
    subject_id: uuid.UUID,
    *,
    start: datetime,
    end: datetime | None,
    segments: list[clock.Segment],
    owner: str,
    limit: Decimal | None,
    **kw: Any,
) -> dict:
    """A measure of time from ``start`` to ``end`` (or now, while open)."""
    parts = clock.split(scope.calendar, segments)
    # While open, the clock runs for whomever the last piece waits on.
    running = segments[-1].party if end is None and segments else None
    verdict = clock.judge(
        scope.calendar,
        parts,
        owner=owner,
        limit=limit,
        start=start,
        ended=end is not None,
        now=scope.now,
        running=running,
    )
    return _row(
        scope,
        metric,
        subject_type,
        subject_id,
        period=scope.month(start),
        started_at=start,
        ended_at=end,
        due_at=verdict.due_at,
        elapsed_hours=parts.elapsed,
        provider_hours=parts.provider,
        client_hours=parts.client,
        supplier_hours=parts.supplier,
        within=verdict.within,
        owner_met=verdict.owner_met,
        breach_party=verdict.breach_party,
        **kw,
    )


# --- requirements -------------------------------------------------------------------------


@dataclass(frozen=True)
class RequirementFacts:
    id: uuid.UUID
    label: str
    supplier_id: uuid.UUID | None
    buyer_id: uuid.UUID | None
    history: History
    # (review id, decision, first reason code, decided at)
    reviews: Sequence[tuple[uuid.UUID, str, str | None, datetime]]
    # Each of its orders' status history, for the time they waited on the client.
    order_histories: Sequence[History]


def requirement_measures(scope: Scope, req: RequirementFacts, waits_on, po_waits_on) -> list[dict]:
    found: list[dict] = []
    handed = _first(req.history, ("submitted",))
    if handed is None:
        return found
    common = {
        "requirement_id": req.id,
        "supplier_id": req.supplier_id,
        "buyer_id": req.buyer_id,
        "subject_label": req.label,
    }
    cancelled = _first(req.history, ("cancelled",))
    ordered = _first(req.history, ("ordered",))
    changes = _parties(req.history, waits_on)
    if not (cancelled and not ordered):
        end = ordered
        until = end or scope.now
        segments = clock.timeline(changes, handed, until)
        for history in req.order_histories:
            windows = clock.windows_of(_parties(history, po_waits_on), "client", until)
            segments = clock.overlay(segments, windows, "client")
        target = scope.targets["handoff_to_release"]
        found.append(
            timed(
                scope,
                "handoff_to_release",
                "requirement",
                req.id,
                start=handed,
                end=end,
                segments=segments,
                owner=target.owner,
                limit=target.within_hours,
                **common,
            )
        )
    # Review: from the first handoff to the provider's first decision.
    decided = _first(req.history, ("accepted", "returned"), after=handed)
    if decided or not cancelled:
        found.append(
            timed(
                scope,
                "review",
                "requirement",
                req.id,
                start=handed,
                end=decided,
                segments=clock.timeline(changes, handed, decided or scope.now),
                owner="provider",
                limit=None,
                **common,
            )
        )
    target = scope.targets["client_answer"]
    for review_id, decision, reason, at in req.reviews:
        returned = decision == "returned"
        found.append(
            _row(
                scope,
                "review_decision",
                "review",
                review_id,
                period=scope.month(at),
                started_at=at,
                ended_at=at,
                cause=reason if returned else None,
                value=Decimal(1 if returned else 0),
                **common,
            )
        )
        if not returned:
            continue
        answered = _first(req.history, ("submitted", "cancelled"), after=at)
        found.append(
            timed(
                scope,
                "client_answer",
                "review",
                review_id,
                start=at,
                end=answered,
                segments=[clock.Segment(at, answered or scope.now, "client")],
                owner=target.owner,
                limit=target.within_hours,
                cause=reason,
                **common,
            )
        )
    return found


# --- purchase orders ----------------------------------------------------------------------


@dataclass(frozen=True)
class LineFacts:
    id: uuid.UUID
    line_no: int
    quantity: Decimal
    promised: date | None
    need_by: date | None
    # (received on, accepted quantity = received - rejected), oldest first
    receipts: Sequence[tuple[date, Decimal]]


@dataclass(frozen=True)
class OrderFacts:
    id: uuid.UUID
    number: str
    supplier_id: uuid.UUID
    buyer_id: uuid.UUID | None
    requirement_id: uuid.UUID | None
    history: History
    lines: Sequence[LineFacts]
    # (change order id, number, cause, released at) of its released change orders
    change_orders: Sequence[tuple[uuid.UUID, int, str, datetime]]


def _completed_on(line: LineFacts) -> date | None:
    total = Decimal(0)
    for day, accepted in sorted(line.receipts, key=lambda r: r[0]):
        total += accepted
        if total >= line.quantity:
            return day
    return None


def order_measures(scope: Scope, po: OrderFacts, waits_on) -> list[dict]:
    found: list[dict] = []
    common = {
        "po_id": po.id,
        "supplier_id": po.supplier_id,
        "buyer_id": po.buyer_id,
        "requirement_id": po.requirement_id,
    }
    changes = _parties(po.history, waits_on)
    submitted = _first(po.history, ("pending_approval",))
    if submitted is not None:
        approved = _first(po.history, ("approved",), after=submitted)
        found.append(
            timed(
                scope,
                "approval_wait",
                "purchase_order",
                po.id,
                start=submitted,
                end=approved,
                segments=clock.timeline(changes, submitted, approved or scope.now),
                owner="client",
                limit=None,
                subject_label=po.number,
                **common,
            )
        )
    released = _first(po.history, ("released",))
    if released is None:
        return found
    acknowledged = _first(po.history, ("acknowledged",), after=released)
    # Goods arriving (or a cancellation) before any acknowledgement end the wait unacknowledged.
    left = _first(
        po.history, ("partially_received", "received", "closed", "cancelled"), after=released
    )
    end = acknowledged if acknowledged and (left is None or acknowledged <= left) else left
    target = scope.targets["acknowledgement"]
    row = timed(
        scope,
        "acknowledgement",
        "purchase_order",
        po.id,
        start=released,
        end=end,
        segments=clock.timeline(changes, released, end or scope.now),
        owner=target.owner,
        limit=target.within_hours,
        subject_label=po.number,
        value=Decimal(1 if acknowledged and end == acknowledged else 0),
        **common,
    )
    if end is not None and end != acknowledged:
        row["within"], row["owner_met"] = False, False
        row["breach_party"] = row["breach_party"] or target.owner
    found.append(row)
    for co_id, number, cause, at in po.change_orders:
        found.append(
            _row(
                scope,
                "change_order",
                "change_order",
                co_id,
                subject_label=f"{po.number} change order {number}",
                period=scope.month(at),
                started_at=at,
                ended_at=at,
                cause=cause,
                value=Decimal(1),
                **common,
            )
        )
    cancelled = _first(po.history, ("cancelled",))
    today = local_today(scope.calendar, scope.now)
    for line in po.lines:
        completed = _completed_on(line)
        if cancelled is not None and completed is None:
            continue  # a cancelled order's undelivered lines were never owed
        promised = line.promised or line.need_by
        if promised is None:
            continue
        due = day_end(scope.calendar, promised)
        on_time = completed <= promised if completed else (False if today > promised else None)
        in_full = True if completed else (False if today > promised else None)
        need_by = None
        if line.need_by is not None:
            need_by = (
                completed <= line.need_by
                if completed
                else (False if today > line.need_by else None)
            )
        otif = None if in_full is None else bool(in_full and on_time)
        found.append(
            _row(
                scope,
                "delivery",
                "po_line",
                line.id,
                subject_label=f"{po.number} line {line.line_no}",
                period=scope.month(promised),
                started_at=released,
                ended_at=day_end(scope.calendar, completed) - timedelta(microseconds=1)
                if completed
                else None,
                due_at=None if completed or today > promised else due,
                within=otif,
                owner_met=otif,
                breach_party="supplier" if otif is False else None,
                in_full=in_full,
                on_time=on_time,
                on_time_need_by=need_by,
                value=Decimal((completed - promised).days) if completed else None,
                **common,
            )
        )
    return found


# --- order issues -------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueFacts:
    id: uuid.UUID
    label: str
    cause: str
    raised_at: datetime
    history: History


def issue_measures(scope: Scope, issue: IssueFacts, po: OrderFacts | None, waits_on) -> list[dict]:
    history = [(issue.raised_at, "open"), *issue.history]
    answered = _first(history, ("answered", "resolved"), after=issue.raised_at)
    changes = _parties(history, waits_on)
    target = scope.targets["issue_answer"]
    return [
        timed(
            scope,
            "issue_answer",
            "po_issue",
            issue.id,
            start=issue.raised_at,
            end=answered,
            segments=clock.timeline(changes, issue.raised_at, answered or scope.now),
            owner=target.owner,
            limit=target.within_hours,
            subject_label=issue.label,
            cause=issue.cause,
            po_id=po.id if po else None,
            supplier_id=po.supplier_id if po else None,
            buyer_id=po.buyer_id if po else None,
        )
    ]
