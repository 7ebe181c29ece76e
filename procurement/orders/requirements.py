"""What orders do to the requirements they came from.

A requirement is ``ordered`` once every line of its accepted snapshot is on
released orders in full, and ``closed`` once all those orders are finished.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.workflow import PROVIDER, SYSTEM
from baton.procurement.orders.models import POLine, PurchaseOrder
from baton.procurement.orders.queries import orders_of_requirement, quantities_by_line
from baton.procurement.orders.states import PURCHASE_ORDER
from baton.sourcing.requirements.handoff import transition
from baton.sourcing.requirements.models import HandoffSnapshot, Requirement


def _requirements(
    session: Session, po: PurchaseOrder, ids: set[uuid.UUID] | None = None
) -> list[Requirement]:
    ids = {line.requirement_id for line in po.lines} if ids is None else ids
    return list(
        session.scalars(
            sa.select(Requirement)
            .where(Requirement.tenant_id == po.tenant_id, Requirement.id.in_(ids))
            .with_for_update()
        )
    )


def _on_orders(session: Session, req: Requirement, which: sa.ColumnElement) -> dict:
    """Per line of the requirement, the quantity on its orders that ``which`` admits."""
    return quantities_by_line(
        session, POLine.tenant_id == req.tenant_id, POLine.requirement_id == req.id, which
    )


def _covered(session: Session, req: Requirement) -> bool:
    """Whether released orders carry every line of the accepted snapshot in full."""
    snap = session.get(HandoffSnapshot, req.current_snapshot_id)
    released = _on_orders(session, req, PurchaseOrder.status.in_(PURCHASE_ORDER.group("released")))
    return all(
        released.get(uuid.UUID(line["line_id"]), Decimal(0)) >= Decimal(line.get("quantity") or 0)
        for line in snap.payload["lines"]
    )


def note_released(session: Session, po: PurchaseOrder) -> None:
    for req in _requirements(session, po):
        if req.status != "accepted" or req.current_snapshot_id is None:
            continue
        if _covered(session, req):
            transition(session, req, "order", side=PROVIDER)


def note_reopened(session: Session, po: PurchaseOrder, requirement_ids: set[uuid.UUID]) -> None:
    """Requirements an order no longer covers in full (a line removed by a change
    order, a released order cancelled) go back to ordering: what is left shows
    as ready to order again."""
    for req in _requirements(session, po, requirement_ids):
        ordered = req.status == "ordered" and req.current_snapshot_id is not None
        if ordered and not _covered(session, req):
            transition(session, req, "reopen", side=PROVIDER)


def note_finished(session: Session, po: PurchaseOrder) -> None:
    for req in _requirements(session, po):
        if req.status != "ordered":
            continue
        orders = orders_of_requirement(session, req.tenant_id, req.id)
        if all(PURCHASE_ORDER.in_group("finished", o.status) for o in orders) and any(
            o.status == "closed" for o in orders
        ):
            transition(session, req, "close", side=SYSTEM)


def remaining_by_line(session: Session, req: Requirement, snapshot: HandoffSnapshot) -> dict:
    """Per snapshot line: quantity handed off, on open orders, and still to order."""
    rows = _on_orders(session, req, PurchaseOrder.status != "cancelled")
    found = {}
    for line in snapshot.payload["lines"]:
        handed = Decimal(line.get("quantity") or 0)
        ordered = Decimal(rows.get(uuid.UUID(line["line_id"])) or 0)
        found[line["line_id"]] = {
            "handed": handed,
            "ordered": ordered,
            "remaining": max(handed - ordered, Decimal(0)),
        }
    return found
