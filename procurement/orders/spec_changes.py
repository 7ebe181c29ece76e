"""Engineering change propagation: a specification revised after orders were
placed against it.

Sourcing publishes ``document.revised`` when a client document gets a new
revision; this area subscribes (``change_notifications.SUBSCRIPTIONS``) with
the ``procurement.spec_revised`` job, which flags the open order lines bound
to an earlier revision ``spec_outdated`` and tells each order's buyer and the
client's sourcing people. The buyer answers with a change order that binds
the new revision (``bind_latest``); releasing it clears the flag.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from baton.platform import audit
from baton.platform.errors import Conflict
from baton.platform.jobs import job
from baton.platform.notify import publish
from baton.procurement.orders import change_orders
from baton.procurement.orders.change_models import POChangeOrder
from baton.procurement.orders.change_proposals import document_revisions
from baton.procurement.orders.models import POLine, PurchaseOrder
from baton.procurement.orders.queries import get_for_provider
from baton.procurement.orders.states import PURCHASE_ORDER

SPEC_REVISED = "procurement.spec_revised"
OUTDATED_EVENT = "purchase_order.spec_outdated"


@job(
    SPEC_REVISED,
    queue="default",
    label="Flag orders bought to an earlier specification revision",
    entity=lambda p: ("document", p["document_id"]),
)
def spec_revised(session: Session, payload: dict) -> None:
    """Idempotent: a line already flagged is not flagged (or told) twice."""
    tenant_id = uuid.UUID(payload["_tenant_id"])
    number, revision_no = payload["number"], int(payload["revision_no"])
    orders = session.scalars(
        sa.select(PurchaseOrder)
        .where(
            PurchaseOrder.tenant_id == tenant_id,
            PurchaseOrder.status.in_(PURCHASE_ORDER.group("changeable")),
        )
        .options(selectinload(PurchaseOrder.lines))
    )
    for po in orders:
        hit = [
            line
            for line in po.lines
            if not line.spec_outdated
            and any(
                s["document_number"] == number and int(s["revision_no"]) < revision_no
                for s in line.specs or []
            )
        ]
        if not hit:
            continue
        for line in hit:
            line.spec_outdated = True
        audit.record(
            session,
            tenant_id=po.tenant_id,
            provider_id=po.provider_id,
            action="purchase_order.spec_outdated",
            entity_type="purchase_order",
            entity_id=po.id,
            changes={
                f"line {line.line_no} specification": [
                    _bound(line, number),
                    f"{number} rev {revision_no} issued",
                ]
                for line in hit
            },
        )
        publish(
            session,
            OUTDATED_EVENT,
            {
                "purchase_order_id": str(po.id),
                "document_number": number,
                "revision_no": revision_no,
                "lines": [line.line_no for line in hit],
            },
            about=po,
        )


def _bound(line: POLine, number: str) -> str:
    return ", ".join(
        f"{s['document_number']} rev {s['revision_no']}"
        for s in line.specs
        if s["document_number"] == number
    )


def latest_bindings(session: Session, po: PurchaseOrder) -> dict[int, list[dict]]:
    """For each outdated line: its specs with every document at its latest revision."""
    outdated = [line for line in po.lines if line.spec_outdated]
    numbers = {s["document_number"] for line in outdated for s in line.specs or []}
    latest = {
        number: revs[0]
        for number, revs in document_revisions(session, po.tenant_id, numbers).items()
    }
    found = {}
    for line in outdated:
        specs = []
        for s in line.specs or []:
            no, rid = latest.get(s["document_number"], (s["revision_no"], s["revision_id"]))
            specs.append(str(rid) if int(no) > int(s["revision_no"]) else str(s["revision_id"]))
        found[line.line_no] = specs
    return found


def outdated_summary(session: Session, po: PurchaseOrder) -> list[tuple[str, int]]:
    """(document number, its latest revision) for specifications the order is behind on."""
    numbers = {s["document_number"] for line in po.lines if line.spec_outdated for s in line.specs}
    revs = document_revisions(session, po.tenant_id, numbers)
    return sorted(
        (number, found[0][0])
        for number, found in revs.items()
        if any(
            s["document_number"] == number and int(s["revision_no"]) < found[0][0]
            for line in po.lines
            for s in line.specs or []
        )
    )


def bind_latest(
    session: Session, provider_id: uuid.UUID, user_id: uuid.UUID | None, po_id: uuid.UUID
) -> POChangeOrder:
    """A change order binding the latest revision on every outdated line."""
    po = get_for_provider(session, provider_id, po_id)
    bindings = latest_bindings(session, po)
    if not bindings:
        raise Conflict(f"No line of {po.number} is bound to an outdated specification.")
    summary = ", ".join(f"{n} revision {r}" for n, r in outdated_summary(session, po))
    return change_orders.start(
        session,
        provider_id,
        user_id,
        po_id,
        cause="engineering_change",
        reason=f"Engineering change: bind {summary or 'the latest specification revisions'}.",
        edits={"lines": [{"line_no": no, "specs": specs} for no, specs in bindings.items()]},
    )


def flagged_orders(session: Session, where: list, limit: int = 20) -> list[PurchaseOrder]:
    """Open orders with a line bound to an outdated specification, for the top of a list."""
    flagged = sa.select(POLine.po_id).where(
        POLine.tenant_id == PurchaseOrder.tenant_id,
        POLine.po_id == PurchaseOrder.id,
        POLine.spec_outdated.is_(True),
    )
    return list(
        session.scalars(
            sa.select(PurchaseOrder)
            .where(
                *where,
                PurchaseOrder.status.in_(PURCHASE_ORDER.group("changeable")),
                sa.exists(flagged),
            )
            .order_by(PurchaseOrder.released_at)
            .limit(limit)
        )
    )
