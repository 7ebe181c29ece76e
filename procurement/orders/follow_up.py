"""What the buyer must chase: orders the supplier has not acknowledged within
the engagement's target, and lines past their date without full receipt.

Lateness is business time on the engagement's calendar (tenants/calendars.py):
an order is late by the business hours since release beyond the
release-to-acknowledgement target; a line by the business hours since its
date ended (midnight, the calendar's zone). A read costs the same few
statements however many orders are late: engagements, orders, their lines,
suppliers, one query each.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from baton.platform.db import among, utcnow
from baton.procurement.orders.models import POLine, PurchaseOrder
from baton.procurement.orders.queries import WITH_LINES
from baton.procurement.orders.states import PURCHASE_ORDER
from baton.sourcing.suppliers.models import Supplier
from baton.tenants.calendars import Calendar, business_hours_between, day_end, describe
from baton.tenants.engagement_settings import calendar_of, first_chase_after
from baton.tenants.models import Engagement

UNACKNOWLEDGED, LATE_LINE, LATE_SHIPMENT = "unacknowledged", "late_line", "late_shipment"


@dataclass(frozen=True)
class LateItem:
    po: PurchaseOrder
    kind: str
    what: str
    late_hours: Decimal
    lateness: str
    client: str
    supplier: str
    line_no: int | None = None


def due_date(line: POLine) -> date | None:
    """When the line's next undelivered quantity is due: its promised date, else
    the first scheduled delivery that what was received does not cover."""
    if line.promised_date is not None:
        return line.promised_date
    covered = Decimal(0)
    for delivery in sorted(line.schedule or [], key=lambda d: d.get("date") or ""):
        try:
            covered += Decimal(str(delivery.get("quantity") or 0))
            when = date.fromisoformat(delivery["date"])
        except (KeyError, TypeError, ValueError, ArithmeticError):
            continue
        if covered > (line.received_quantity or 0):
            return when
    return None


def late_lines(
    po: PurchaseOrder, calendar: Calendar, now: datetime
) -> list[tuple[POLine, date, Decimal]]:
    """Lines past their date and not fully received, with business hours late."""
    if not PURCHASE_ORDER.in_group("followed_up", po.status):
        return []
    found = []
    for line in po.lines:
        if (line.received_quantity or 0) >= line.quantity:
            continue
        due = due_date(line)
        if due is None:
            continue
        passed = day_end(calendar, due)
        if passed < now:
            found.append((line, due, business_hours_between(calendar, passed, now)))
    return found


def hours_unacknowledged(po: PurchaseOrder, calendar: Calendar, now: datetime) -> Decimal | None:
    """Business hours the released order has waited for its acknowledgement."""
    if po.status != "released" or po.released_at is None:
        return None
    return business_hours_between(calendar, po.released_at, now)


def chase_reason(
    po: PurchaseOrder, engagement: Engagement, calendar: Calendar, now: datetime
) -> str | None:
    """Why the supplier should hear from us now, by the engagement's settings."""
    waited = hours_unacknowledged(po, calendar, now)
    if waited is not None and waited >= first_chase_after(engagement):
        return UNACKNOWLEDGED
    if engagement.chase_late_lines and late_lines(po, calendar, now):
        return LATE_LINE
    return None


def chaser_due(
    po: PurchaseOrder, engagement: Engagement, calendar: Calendar, now: datetime
) -> str | None:
    """The reason for an automatic chaser at ``now``, or None: after N business
    hours, then every M since the last chaser (a buyer's own included), at most K."""
    if po.link_nonce is None or po.chase_count >= engagement.chase_max:
        return None
    if engagement.status != "active":
        return None
    if po.last_chased_at is not None:
        since = business_hours_between(calendar, po.last_chased_at, now)
        if since < Decimal(engagement.chase_every_hours):
            return None
    return chase_reason(po, engagement, calendar, now)


def engagements_by_client(session: Session, provider_id: uuid.UUID) -> dict[uuid.UUID, Engagement]:
    rows = session.scalars(
        sa.select(Engagement)
        .options(joinedload(Engagement.client), joinedload(Engagement.provider))
        .where(Engagement.provider_id == provider_id, Engagement.status == "active")
    )
    return {e.client_id: e for e in rows}


def followed_orders(session: Session, where: list) -> list[PurchaseOrder]:
    return list(
        session.scalars(
            sa.select(PurchaseOrder)
            .where(*where, PurchaseOrder.status.in_(PURCHASE_ORDER.groups["followed_up"]))
            .options(*WITH_LINES)
        )
    )


def late_items(
    session: Session,
    provider_id: uuid.UUID,
    *,
    client_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> list[LateItem]:
    """The provider's follow-up list, latest first."""
    now = now or utcnow()
    engagements = engagements_by_client(session, provider_id)
    clients = set(engagements) if client_id is None else {client_id} & set(engagements)
    if not clients:
        return []
    orders = followed_orders(
        session,
        [
            PurchaseOrder.provider_id == provider_id,
            among(session, PurchaseOrder.tenant_id, clients),
        ],
    )
    suppliers = _supplier_names(session, orders)
    items: list[LateItem] = []
    for po in orders:
        engagement = engagements[po.tenant_id]
        calendar = calendar_of(engagement)
        common = {
            "po": po,
            "client": engagement.client.name,
            "supplier": suppliers.get(po.supplier_id, ""),
        }
        waited = hours_unacknowledged(po, calendar, now)
        target = Decimal(engagement.sla_release_to_ack_hours)
        if waited is not None and waited > target:
            late = waited - target
            items.append(
                LateItem(
                    kind=UNACKNOWLEDGED,
                    what=f"Not acknowledged ({describe(target, calendar)} target)",
                    late_hours=late,
                    lateness=describe(late, calendar),
                    **common,
                )
            )
        for line, due, late in late_lines(po, calendar, now):
            if late <= 0:
                continue  # the date passed overnight or on a day off: no working time lost yet
            items.append(
                LateItem(
                    kind=LATE_LINE,
                    what=f"Line {line.line_no} {line.item_code or ''}: due {due.isoformat()},"
                    f" {format(line.received_quantity.normalize(), 'f')} of"
                    f" {format(line.quantity.normalize(), 'f')} {line.unit} received",
                    late_hours=late,
                    lateness=describe(late, calendar),
                    line_no=line.line_no,
                    **common,
                )
            )
    items.extend(overdue_shipment_items(session, provider_id, orders, engagements, now))
    items.sort(key=lambda i: (-i.late_hours, i.po.number, i.line_no or 0))
    return items


def overdue_shipment_items(
    session: Session,
    provider_id: uuid.UUID,
    orders: list[PurchaseOrder],
    engagements: dict[uuid.UUID, Engagement],
    now: datetime,
) -> list[LateItem]:
    """Shipment notices of these ``orders`` past their expected arrival with the
    goods not received (``shipments.overdue_shipments``, a fixed number of
    statements), late by the business hours since that day ended."""
    from baton.procurement.orders.shipments import overdue_shipments

    listed = {po.id for po in orders}
    suppliers = _supplier_names(session, orders)
    items = []
    for overdue in overdue_shipments(session, provider_id, now.date()):
        po, notice = overdue.po, overdue.shipment
        if po.id not in listed or notice.expected_on is None:
            continue
        engagement = engagements[po.tenant_id]
        calendar = calendar_of(engagement)
        late = business_hours_between(calendar, day_end(calendar, notice.expected_on), now)
        if late <= 0:
            continue
        carrier = " ".join(filter(None, (notice.carrier, notice.tracking_number)))
        items.append(
            LateItem(
                po=po,
                kind=LATE_SHIPMENT,
                what=f"Shipment notice{' ' + carrier if carrier else ''}: expected"
                f" {notice.expected_on.isoformat()}, not received",
                late_hours=late,
                lateness=describe(late, calendar),
                client=engagement.client.name,
                supplier=suppliers.get(po.supplier_id, ""),
            )
        )
    return items


def _supplier_names(session: Session, orders: list[PurchaseOrder]) -> dict[uuid.UUID, str]:
    ids = {po.supplier_id for po in orders}
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Supplier.id, Supplier.name).where(
            among(session, Supplier.tenant_id, {po.tenant_id for po in orders}),
            among(session, Supplier.id, ids),
        )
    )
    return dict(rows.all())
