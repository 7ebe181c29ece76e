"""Reading purchase orders as each side may: the provider's own, the client's all."""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from baton.platform.db import among, among_engaged_clients
from baton.platform.engine import PREPARED
from baton.platform.errors import NotFound
from baton.procurement.orders.models import (
    POAcknowledgement,
    POApproval,
    POException,
    POLine,
    POReceipt,
    PurchaseOrder,
)
from baton.procurement.orders.states import PURCHASE_ORDER
from baton.tenants.services import engaged_client_ids

WITH_LINES = (selectinload(PurchaseOrder.lines),)
# One order by id: its lines and supplier joined in the same statement.
READ_WITH_LINES = (joinedload(PurchaseOrder.lines), joinedload(PurchaseOrder.supplier))


def one_order(session: Session, stmt: sa.Select, lock: bool) -> PurchaseOrder | None:
    """The order ``stmt`` selects with its lines. A locked read locks the order's
    row alone (``FOR UPDATE OF``) and reads its lines after, as it always did."""
    if lock:
        return session.scalar(stmt.options(*WITH_LINES).with_for_update(of=PurchaseOrder))
    stmt = stmt.options(*READ_WITH_LINES).execution_options(**PREPARED)
    return session.scalars(stmt).unique().one_or_none()


def provider_scope(session: Session, provider_id: uuid.UUID, *, in_order: bool = False) -> list:
    """A provider's orders at its engaged clients. ``in_order``: for a page
    read in an index's order (``open_orders.search`` unfiltered), where the
    session's scoping may stand in for the 200 client ids
    (``among_engaged_clients``)."""
    clients = engaged_client_ids(session, provider_id)
    return [
        PurchaseOrder.provider_id == provider_id,
        among_engaged_clients(session, PurchaseOrder.tenant_id, provider_id, clients)
        if in_order
        else among(session, PurchaseOrder.tenant_id, clients),
    ]


def get_for_provider(
    session: Session, provider_id: uuid.UUID, po_id: uuid.UUID, *, lock: bool = False
) -> PurchaseOrder:
    clients = engaged_client_ids(session, provider_id)
    stmt = sa.select(PurchaseOrder).where(
        PurchaseOrder.id == po_id,
        PurchaseOrder.provider_id == provider_id,
        among_engaged_clients(session, PurchaseOrder.tenant_id, provider_id, clients),
    )
    po = one_order(session, stmt, lock)
    if po is None:
        raise NotFound("No such purchase order.")
    return po


def get_for_client(
    session: Session, tenant_id: uuid.UUID, po_id: uuid.UUID, *, lock: bool = False
) -> PurchaseOrder:
    """The client sees its orders once a buyer submits them; a draft is the provider's."""
    stmt = sa.select(PurchaseOrder).where(
        PurchaseOrder.id == po_id,
        PurchaseOrder.tenant_id == tenant_id,
        PurchaseOrder.submitted_at.is_not(None),
    )
    po = one_order(session, stmt, lock)
    if po is None:
        raise NotFound("No such purchase order.")
    return po


def list_orders(
    session: Session,
    where: list,
    *,
    status: str | None = None,
    q: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[PurchaseOrder], bool]:
    stmt = sa.select(PurchaseOrder).where(*where)
    if status:
        stmt = stmt.where(PurchaseOrder.status.in_(PURCHASE_ORDER.statuses_for(status)))
    if q:
        stmt = stmt.where(PurchaseOrder.number.ilike(f"%{q.strip()[:40]}%"))
    rows = list(
        session.scalars(
            stmt.order_by(PurchaseOrder.created_at.desc(), PurchaseOrder.id)
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    return rows[:per_page], len(rows) > per_page


def quantities_by_line(session: Session, *where: sa.ColumnElement) -> dict[uuid.UUID, Decimal]:
    """Quantity per requirement line on the order lines ``where`` selects
    (conditions on ``POLine`` and its ``PurchaseOrder``)."""
    rows = session.execute(
        sa.select(POLine.requirement_line_id, sa.func.sum(POLine.quantity))
        .join(
            PurchaseOrder,
            sa.and_(PurchaseOrder.id == POLine.po_id, PurchaseOrder.tenant_id == POLine.tenant_id),
        )
        .where(*where)
        .group_by(POLine.requirement_line_id)
    )
    return {line_id: Decimal(total or 0) for line_id, total in rows}


def ordered_quantities(
    session: Session, tenant_ids: set[uuid.UUID], requirement_line_ids: set[uuid.UUID]
) -> dict[uuid.UUID, Decimal]:
    """Quantity on open (not cancelled) orders per requirement line."""
    if not requirement_line_ids:
        return {}
    return quantities_by_line(
        session,
        among(session, POLine.tenant_id, tenant_ids),
        among(session, POLine.requirement_line_id, requirement_line_ids),
        PurchaseOrder.status != "cancelled",
    )


def orders_of_requirement(
    session: Session, tenant_id: uuid.UUID, requirement_id: uuid.UUID
) -> list[PurchaseOrder]:
    ids = sa.select(POLine.po_id).where(
        POLine.tenant_id == tenant_id, POLine.requirement_id == requirement_id
    )
    return list(
        session.scalars(
            sa.select(PurchaseOrder)
            .where(PurchaseOrder.tenant_id == tenant_id, PurchaseOrder.id.in_(ids))
            .options(*WITH_LINES)
            .order_by(PurchaseOrder.created_at)
        )
    )


def orders_by_id(session: Session, tenant_id: uuid.UUID, ids: set[uuid.UUID]) -> dict:
    if not ids:
        return {}
    return {
        po.id: po
        for po in session.scalars(
            sa.select(PurchaseOrder).where(
                PurchaseOrder.tenant_id == tenant_id, PurchaseOrder.id.in_(ids)
            )
        )
    }


def _of_po(session: Session, model, po: PurchaseOrder, order_by):
    return list(
        session.scalars(
            sa.select(model)
            .where(model.tenant_id == po.tenant_id, model.po_id == po.id)
            .order_by(order_by)
        )
    )


def exceptions_of(session: Session, po: PurchaseOrder) -> list[POException]:
    rows = _of_po(session, POException, po, POException.created_at)
    return [e for e in rows if e.revision == po.revision]


def approvals_of(session: Session, po: PurchaseOrder) -> list[POApproval]:
    return _of_po(session, POApproval, po, POApproval.created_at)


def acknowledgement_of(session: Session, po: PurchaseOrder) -> POAcknowledgement | None:
    for ack in _of_po(session, POAcknowledgement, po, POAcknowledgement.created_at):
        if ack.revision == po.revision:
            return ack
    return None


def receipts_of(session: Session, po: PurchaseOrder) -> list[POReceipt]:
    return _of_po(session, POReceipt, po, POReceipt.created_at)


def by_requirement(orders: list[PurchaseOrder]) -> dict[uuid.UUID, list[PurchaseOrder]]:
    found: dict[uuid.UUID, list[PurchaseOrder]] = defaultdict(list)
    for po in orders:
        for line in po.lines:
            if po not in found[line.requirement_id]:
                found[line.requirement_id].append(po)
    return found


def list_from_args(session: Session, where: list, args) -> dict:
    """A list page as the query string asks: an unknown status is dropped, not fatal."""
    from baton.platform.inputs import page_from

    status = (args.get("status") or "").strip()
    if status and not PURCHASE_ORDER.is_known_filter(status):
        status = ""
    q = (args.get("q") or "").strip()[:40]
    page = page_from(args.get("page"))
    orders, has_next = list_orders(session, where, status=status or None, q=q or None, page=page)
    return {
        "orders": orders,
        "has_next": has_next,
        "page": page,
        "status": status,
        "q": q,
        "machine": PURCHASE_ORDER,
    }
