"""Releasing an approved change order: the order becomes revision n + 1.

The proposal is written onto the order's header and lines (receipts so far
stay), the order goes back to ``released`` through the order's machine
(``revise``), its supplier link gets a new nonce and revision (the old link
now says "superseded by revision n + 1"), the revision is frozen, and the
existing ``procurement.send_po`` job renders, stores and emails the new PDF.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.db import utcnow
from baton.platform.errors import Conflict, ValidationFailed
from baton.platform.outbox import emit
from baton.platform.workflow import PROVIDER
from baton.procurement.orders import change_lines, links, revisions
from baton.procurement.orders import change_proposals as proposals
from baton.procurement.orders.change_models import POChangeOrder
from baton.procurement.orders.change_orders import get_change
from baton.procurement.orders.change_states import CHANGE_ORDER
from baton.procurement.orders.drafting import order_total
from baton.procurement.orders.models import POException, PurchaseOrder
from baton.procurement.orders.queries import get_for_provider
from baton.procurement.orders.release import SEND_PO
from baton.procurement.orders.requirements import note_released, note_reopened
from baton.procurement.orders.states import PURCHASE_ORDER
from baton.sourcing.documents.models import Document
from baton.sourcing.suppliers.models import Supplier


def refresh_outdated(session: Session, po: PurchaseOrder) -> None:
    """A line is outdated while one of its specifications has a later revision."""
    numbers = {s["document_number"] for line in po.lines for s in line.specs or []}
    latest = (
        dict(
            session.execute(
                sa.select(Document.number, Document.latest_revision_no).where(
                    Document.tenant_id == po.tenant_id,
                    Document.number.in_(numbers),
                    Document.provider_id.is_(None),
                )
            ).all()
        )
        if numbers
        else {}
    )
    for line in po.lines:
        line.spec_outdated = any(
            int(s["revision_no"]) < latest.get(s["document_number"], 0) for s in line.specs or []
        )


def release(
    session: Session, provider_id: uuid.UUID, po_id: uuid.UUID, change_id: uuid.UUID
) -> POChangeOrder:
    po = get_for_provider(session, provider_id, po_id, lock=True)
    change = get_change(session, po, change_id, lock=True)
    CHANGE_ORDER.check("release", change.status, PROVIDER)
    PURCHASE_ORDER.check("revise", po.status, PROVIDER)
    if change.base_revision != po.revision:
        raise Conflict("The order was revised since this change order was drafted; withdraw it.")
    _h, _l, errors = proposals.read_proposal(session, po, (change.header, change.lines), {})
    errors |= change_lines.still_ready(session, po, change.lines)
    if errors:
        raise ValidationFailed(errors)
    supplier = session.get(Supplier, po.supplier_id)
    if supplier is None or not supplier.contact_email:
        raise ValidationFailed(
            {"supplier": "The supplier has no order contact email; ask the client to add one."}
        )
    diff = proposals.diff(po, change.header, change.lines)
    before_revision = po.revision
    for name in proposals.HEADER_FIELDS:
        setattr(po, name, change.header.get(name))
    proposed = {line["line_no"]: line for line in change.lines}
    dropped = {
        line.requirement_id for line in po.lines if proposed.get(line.line_no, {}).get("removed")
    }
    change_lines.apply(session, po, change.lines)
    for line in po.lines:
        new = proposed.get(line.line_no)
        if new is None or new.get("added"):
            continue
        line.quantity = Decimal(new["quantity"])
        line.unit_price = Decimal(new["unit_price"])
        line.schedule = new["schedule"]
        line.specs = new["specs"]
    po.total = order_total(po)
    po.revision += 1
    po.version += 1
    po.released_at = utcnow()
    po.acknowledged_at = None
    po.link_nonce = links.new_nonce()
    po.link_revoked_at = None
    refresh_outdated(session, po)
    PURCHASE_ORDER.apply(
        session,
        po,
        "revise",
        side=PROVIDER,
        changes={
            "revision": [before_revision, po.revision],
            "change_order": [None, f"{change.number}: {change.reason}"],
            **{d["label"]: [d["before"], d["after"]] for d in diff},
        },
    )
    for e in change.exceptions:
        if e.get("status") == "accepted":
            session.add(
                POException(
                    id=uuid.uuid4(),
                    tenant_id=po.tenant_id,
                    provider_id=po.provider_id,
                    po_id=po.id,
                    revision=po.revision,
                    line_no=e.get("line_no"),
                    field=e["field"],
                    snapshot_value=(e.get("snapshot_value") or "")[:500] or None,
                    po_value=(e.get("po_value") or "")[:500] or None,
                    reason=change.reason,
                    status="accepted",
                )
            )
    change.diff = diff
    change.released_at = utcnow()
    CHANGE_ORDER.apply(
        session, change, "release", side=PROVIDER, changes={"revision": [None, po.revision]}
    )
    session.flush()
    # Added lines may complete their handoffs; removed ones leave quantity to order again.
    note_released(session, po)
    if dropped:
        note_reopened(session, po, dropped)
    revisions.freeze(session, po, change.id)
    emit(session, SEND_PO, {"po_id": str(po.id), "revision": po.revision}, about=po)
    return change
