"""What stands behind one figure of a supplier scorecard: the order lines,
orders, receipts and acknowledgements it counted (``scorecards.py`` has the
definitions). One or two statements, at most ``LIMIT`` rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.errors import ValidationFailed
from baton.procurement.orders.models import POAcknowledgement, POReceipt, PurchaseOrder
from baton.procurement.sla.models import SlaMeasure
from baton.procurement.sla.scorecards import (
    FIGURES,
    SUPPLIER_CHANGE,
    WINDOWS,
    changed,
    month_start,
    months_back,
    this_month,
)

LIMIT = 500
TITLES = {
    "otif": "Deliveries judged for OTIF",
    "acknowledgement": "Orders awaiting or given an acknowledgement",
    "lead_time": "Lines completed, days after the promised date",
    "rejection": "Receipts with quantities rejected",
    "changes": "Change requests",
}


@dataclass(frozen=True)
class Row:
    po_id: uuid.UUID | None
    label: str
    # The figure's verdict in words ("on time in full", "3 days late", ...).
    outcome: str
    # Whether the row counts against the supplier (shown in red).
    bad: bool
    at: date | datetime | None


@dataclass(frozen=True)
class Span:
    """A month, or the last ``window`` months up to the current one."""

    first: date
    last: date
    label: str


def span_of(zone: str, month: str | None, window: str | None, now=None) -> Span:
    """Parse ``month`` (YYYY-MM) or ``window`` (3 or 12); a clear error names the field."""
    current = this_month(zone, now)
    if month:
        try:
            first = month_start(date.fromisoformat(f"{month.strip()[:7]}-01"))
        except ValueError:
            raise ValidationFailed({"month": "Give a month as YYYY-MM, e.g. 2026-03."}) from None
        return Span(first, first, first.strftime("%B %Y"))
    size = WINDOWS[0]
    if window:
        if window.strip() not in {str(w) for w in WINDOWS}:
            raise ValidationFailed({"window": "Choose 3 or 12 months."})
        size = int(window)
    return Span(months_back(current, size - 1), current, f"the last {size} months")


def _measures(session, tenant_id, supplier_id, span: Span, *where):
    m = SlaMeasure
    return session.scalars(
        sa.select(m)
        .where(
            m.tenant_id == tenant_id,
            m.supplier_id == supplier_id,
            m.period >= span.first,
            m.period <= span.last,
            *where,
        )
        .order_by(m.started_at, m.subject_label)
        .limit(LIMIT)
    )


def _days(value: Decimal) -> str:
    n = int(value)
    if n == 0:
        return "on the promised date"
    return f"{abs(n)} day{'s' if abs(n) != 1 else ''} {'late' if n > 0 else 'early'}"


def _day(row: SlaMeasure, zone: str) -> date | None:
    """The day a line was completed: its measure ends just before that day's midnight."""
    return row.ended_at.astimezone(ZoneInfo(zone)).date() if row.ended_at else None


def _otif(row: SlaMeasure) -> str:
    if row.within:
        return "on time in full"
    if row.ended_at is None:
        return "not delivered in full by the promised date"
    return f"late: completed {_days(row.value)}" if row.value is not None else "late"


def behind(
    session: Session, tenant_id: uuid.UUID, supplier_id: uuid.UUID, figure: str, span: Span, zone
) -> list[Row]:
    if figure not in FIGURES:
        raise ValidationFailed({"figure": f"Choose one of {', '.join(FIGURES)}."})
    m = SlaMeasure
    if figure == "otif":
        found = _measures(
            session, tenant_id, supplier_id, span, m.metric == "delivery", m.within.is_not(None)
        )
        return [Row(r.po_id, r.subject_label, _otif(r), not r.within, _day(r, zone)) for r in found]
    if figure == "lead_time":
        found = _measures(
            session, tenant_id, supplier_id, span, m.metric == "delivery", m.value.is_not(None)
        )
        return [
            Row(r.po_id, r.subject_label, _days(r.value), r.value > 0, _day(r, zone)) for r in found
        ]
    if figure == "acknowledgement":
        found = _measures(session, tenant_id, supplier_id, span, m.metric == "acknowledgement")
        return [_ack_row(r) for r in found]
    if figure == "rejection":
        return _rejections(session, tenant_id, supplier_id, span)
    return _changes(session, tenant_id, supplier_id, span, zone)


def _ack_row(r: SlaMeasure) -> Row:
    hours = f"{Decimal(r.elapsed_hours or 0).quantize(Decimal('0.1'))} business hours"
    if r.value == 1:
        return Row(
            r.po_id, r.subject_label, f"acknowledged after {hours}", r.within is False, r.ended_at
        )
    if r.ended_at is None:
        return Row(
            r.po_id, r.subject_label, f"not acknowledged yet ({hours})", r.within is False, None
        )
    return Row(r.po_id, r.subject_label, "never acknowledged", True, r.ended_at)


def _rejections(session, tenant_id, supplier_id, span: Span) -> list[Row]:
    r = POReceipt
    rows = session.execute(
        sa.select(
            r.po_id,
            PurchaseOrder.number,
            r.line_no,
            r.received_on,
            r.quantity_received,
            r.quantity_rejected,
            r.reject_reason,
        )
        .join(
            PurchaseOrder,
            sa.and_(PurchaseOrder.tenant_id == r.tenant_id, PurchaseOrder.id == r.po_id),
        )
        .where(
            r.tenant_id == tenant_id,
            PurchaseOrder.tenant_id == tenant_id,
            PurchaseOrder.supplier_id == supplier_id,
            r.received_on >= span.first,
            r.received_on < months_back(span.last, -1),
        )
        .order_by(r.received_on, PurchaseOrder.number, r.line_no)
        .limit(LIMIT)
    )
    found = []
    for po_id, number, line_no, on, got, rejected, reason in rows:
        rejected = Decimal(rejected or 0)
        words = f"received {Decimal(got).normalize():f}, rejected {rejected.normalize():f}"
        if reason:
            words += f" ({reason})"
        found.append(Row(po_id, f"{number} line {line_no}", words, rejected > 0, on))
    return found


def _changes(session, tenant_id, supplier_id, span: Span, zone: str) -> list[Row]:
    tz = ZoneInfo(zone)
    a = POAcknowledgement
    start = datetime.combine(span.first, datetime.min.time(), tz)
    end = datetime.combine(months_back(span.last, -1), datetime.min.time(), tz)
    found = []
    for po_id, number, revision, at, lines in session.execute(
        sa.select(a.po_id, PurchaseOrder.number, a.revision, a.created_at, a.lines)
        .join(
            PurchaseOrder,
            sa.and_(PurchaseOrder.tenant_id == a.tenant_id, PurchaseOrder.id == a.po_id),
        )
        .where(
            a.tenant_id == tenant_id,
            PurchaseOrder.tenant_id == tenant_id,
            PurchaseOrder.supplier_id == supplier_id,
            a.created_at >= start,
            a.created_at < end,
        )
        .order_by(a.created_at)
        .limit(LIMIT)
    ):
        if changed(lines):
            nos = ", ".join(
                str(ln.get("line_no")) for ln in lines if ln.get("outcome") == "changed"
            )
            found.append(
                Row(
                    po_id,
                    f"{number} revision {revision}" if revision else number,
                    f"acknowledged with changes to line {nos}",
                    True,
                    at,
                )
            )
    m = SlaMeasure
    for r in _measures(
        session,
        tenant_id,
        supplier_id,
        span,
        m.metric == "change_order",
        m.cause == SUPPLIER_CHANGE,
    ):
        found.append(
            Row(r.po_id, r.subject_label, "change order for a supplier change", True, r.started_at)
        )
    return found
