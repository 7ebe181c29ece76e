"""Chasing the supplier: a reminder email with the order's current link.

A buyer chases from the follow-up view or the order's page; the schedule
``supplier-chasers`` chases what is due by each engagement's settings (after
N business hours unacknowledged or a line past its date, then every M, at
most K per order). Every chaser raises ``chase_count``, sets
``last_chased_at`` and writes ``purchase_order.chased`` on the order's
timeline in the buyer's (or the job's) transaction; the email is a job of its
own, keyed by the chase number, so a retried job sends it once.

The scan reads every tenant's orders, so it is declared cross-tenant and
does nothing but emit one job per order to chase, in that order's tenant
context; the dedup key (order, revision, chase number) keeps two scans of
the same slot, or of two slots before the job ran, to one chaser.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from baton.platform import audit, mail
from baton.platform.db import among, utcnow
from baton.platform.errors import Conflict, ValidationFailed
from baton.platform.jobs import job
from baton.platform.outbox import emit
from baton.procurement.orders.follow_up import LATE_LINE, UNACKNOWLEDGED, chaser_due
from baton.procurement.orders.models import PurchaseOrder
from baton.procurement.orders.queries import WITH_LINES, get_for_provider
from baton.procurement.orders.release import _mail_context
from baton.procurement.orders.states import PURCHASE_ORDER
from baton.tenants.engagement_settings import calendar_of
from baton.tenants.models import Engagement

FIND_DUE = "procurement.find_due_chasers"
AUTO_CHASE = "procurement.auto_chase"
MAIL_CHASER = "procurement.mail_chaser"
MANUAL = "buyer"
REASONS = {
    MANUAL: "chased by the buyer",
    UNACKNOWLEDGED: "not acknowledged",
    LATE_LINE: "delivery late",
}


def record_chase(
    session: Session, po: PurchaseOrder, reason: str, now: datetime | None = None
) -> int:
    """Count a chaser on ``po`` (locked by the caller), log it, queue its email."""
    now = now or utcnow()
    number = po.chase_count + 1
    before = po.last_chased_at
    po.chase_count = number
    po.last_chased_at = now
    audit.record(
        session,
        tenant_id=po.tenant_id,
        provider_id=po.provider_id,
        action="purchase_order.chased",
        entity_type="purchase_order",
        entity_id=po.id,
        changes={
            "chasers_sent": [number - 1, number],
            "last_chased_at": [audit.jsonable(before), audit.jsonable(now)],
            "reason": [None, REASONS.get(reason, reason)],
        },
    )
    emit(
        session,
        MAIL_CHASER,
        {"po_id": str(po.id), "revision": po.revision, "chase_no": number, "reason": reason},
        about=po,
        dedup_key=f"chase-mail:{po.id}:{po.revision}:{number}",
    )
    return number


def chase(session: Session, provider_id: uuid.UUID, po_id: uuid.UUID) -> PurchaseOrder:
    """A buyer's chaser, whenever the order is with the supplier and has a link."""
    return _chase(session, get_for_provider(session, provider_id, po_id, lock=True))


def chase_number(
    session: Session, provider_id: uuid.UUID, po_id: uuid.UUID, number: int | None
) -> tuple[PurchaseOrder, bool]:
    """Send chaser ``number`` (the next one if None); a number already sent is a
    retry and sends nothing. Returns the order and whether a chaser went."""
    po = get_for_provider(session, provider_id, po_id, lock=True)
    if number is not None and number <= po.chase_count:
        return po, False
    if number is not None and number != po.chase_count + 1:
        raise ValidationFailed(
            {
                "chase_no": f"{po.number} has had {po.chase_count} chaser(s);"
                f" the next is number {po.chase_count + 1}."
            }
        )
    return _chase(session, po), True


def _chase(session: Session, po: PurchaseOrder) -> PurchaseOrder:
    if not PURCHASE_ORDER.in_group("followed_up", po.status):
        raise Conflict(
            f"{po.number} is {PURCHASE_ORDER.labels[po.status].lower()}: there is nothing"
            " to chase the supplier for."
        )
    if po.link_nonce is None:
        raise Conflict(
            f"The supplier's link to {po.number} was withdrawn; a chaser would have no link."
        )
    record_chase(session, po, MANUAL)
    return po


@job(
    MAIL_CHASER,
    queue="high",
    label="Email a chaser to the supplier",
    entity=lambda p: ("purchase_order", p["po_id"]),
)
def mail_chaser(session: Session, payload: dict) -> None:
    po = session.scalar(
        sa.select(PurchaseOrder)
        .where(PurchaseOrder.id == uuid.UUID(payload["po_id"]))
        .options(*WITH_LINES)
    )
    if po is None or po.revision != payload["revision"] or po.link_nonce is None:
        return  # superseded or withdrawn since: the newer email says what holds
    if not PURCHASE_ORDER.in_group("followed_up", po.status):
        return
    supplier, context, reply_to = _mail_context(session, po)
    if not supplier.contact_email:
        return
    reason = payload.get("reason")
    subject = f"Reminder: purchase order {po.number}" + (
        " is waiting for your acknowledgement" if reason == UNACKNOWLEDGED else ""
    )
    mail.send(
        mail.OutgoingMail(
            to=[supplier.contact_email],
            subject=subject,
            template="purchase_order_chased",
            context=context
            | {
                "subject": subject,
                "reason": reason,
                "unacknowledged": po.status == "released",
                "late_lines": _late_line_texts(session, po),
            },
            key=f"po:{po.id}:rev:{po.revision}:chase:{payload['chase_no']}",
            reply_to=reply_to,
            tenant_id=po.tenant_id,
            outbox_id=uuid.UUID(payload["_outbox_id"]),
        )
    )


def _late_line_texts(session: Session, po: PurchaseOrder) -> list[str]:
    from baton.procurement.orders.follow_up import late_lines

    engagement = _engagement_of(session, po)
    if engagement is None:
        return []
    return [
        f"Line {line.line_no} {line.item_code or ''} {line.description}: due {due.isoformat()}"
        for line, due, _late in late_lines(po, calendar_of(engagement), utcnow())
    ]


def _engagement_of(session: Session, po: PurchaseOrder) -> Engagement | None:
    return session.scalar(
        sa.select(Engagement).where(
            Engagement.client_id == po.tenant_id, Engagement.provider_id == po.provider_id
        )
    )


# --- automatic chasers -------------------------------------------------------------------


def due_chasers(
    session: Session, now: datetime, engagement_ids: set[uuid.UUID] | None = None
) -> list[tuple[PurchaseOrder, str]]:
    """Every order of every active engagement (or of ``engagement_ids``) that a
    chaser is due for at ``now``."""
    stmt = (
        sa.select(Engagement)
        .options(joinedload(Engagement.provider))
        .where(Engagement.status == "active", Engagement.chase_max > 0)
    )
    if engagement_ids is not None:
        stmt = stmt.where(Engagement.id.in_(engagement_ids))
    engagements = {(e.client_id, e.provider_id): e for e in session.scalars(stmt)}
    if not engagements:
        return []
    orders = session.scalars(
        sa.select(PurchaseOrder)
        .where(
            PurchaseOrder.status.in_(PURCHASE_ORDER.groups["followed_up"]),
            PurchaseOrder.link_nonce.is_not(None),
            among(session, PurchaseOrder.tenant_id, {client for client, _p in engagements}),
        )
        .options(*WITH_LINES)
        .order_by(PurchaseOrder.tenant_id, PurchaseOrder.id)
    )
    due = []
    for po in orders:
        engagement = engagements.get((po.tenant_id, po.provider_id))
        if engagement is None:
            continue
        reason = chaser_due(po, engagement, calendar_of(engagement), now)
        if reason is not None:
            due.append((po, reason))
    return due


def emit_due_chasers(
    session: Session, now: datetime, engagement_ids: set[uuid.UUID] | None = None
) -> int:
    """One job per order to chase, in its tenant; the same chaser is emitted once."""
    due = due_chasers(session, now, engagement_ids)
    for po, reason in due:
        number = po.chase_count + 1
        emit(
            session,
            AUTO_CHASE,
            {
                "po_id": str(po.id),
                "revision": po.revision,
                "chase_no": number,
                "reason": reason,
                "now": now.isoformat(),
            },
            about=po,
            dedup_key=f"chase:{po.id}:{po.revision}:{number}",
        )
    return len(due)


def _slot(payload: dict) -> datetime:
    raw = payload.get("slot") or payload.get("now")
    if raw:
        return datetime.fromisoformat(raw).astimezone(UTC)
    return utcnow()


@job(FIND_DUE, queue="low", label="Find supplier chasers due", cross_tenant=True, timeout=600)
def find_due_chasers(session: Session, payload: dict) -> None:
    emit_due_chasers(session, _slot(payload))


def auto_chase_order(session: Session, payload: dict) -> int | None:
    """Send the chaser the scan found due, if it still is (in the order's tenant)."""
    po = session.scalar(
        sa.select(PurchaseOrder)
        .where(PurchaseOrder.id == uuid.UUID(payload["po_id"]))
        .options(*WITH_LINES)
        .with_for_update(of=PurchaseOrder)
    )
    if po is None or po.revision != payload["revision"]:
        return None
    if po.chase_count != payload["chase_no"] - 1:
        return None  # a buyer (or an earlier run) sent this chaser already
    engagement = _engagement_of(session, po)
    if engagement is None:
        return None
    now = _slot(payload)
    reason = chaser_due(po, engagement, calendar_of(engagement), now)
    if reason is None:
        return None  # acknowledged or received meanwhile
    return record_chase(session, po, reason, now)


@job(
    AUTO_CHASE,
    queue="default",
    label="Chase the supplier",
    entity=lambda p: ("purchase_order", p["po_id"]),
)
def auto_chase(session: Session, payload: dict) -> None:
    auto_chase_order(session, payload)
