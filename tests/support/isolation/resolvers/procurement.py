"""Resolvers for rows of baton.procurement: a released purchase order of the
victim's, made from its handed-off requirement, with a live supplier link."""

from __future__ import annotations

import uuid
from decimal import Decimal

from baton.platform.db import utcnow
from tests.support.isolation.victim import Victim, parameter


@parameter("po_id")
def _purchase_order(v: Victim) -> uuid.UUID:
    from baton.procurement.orders.models import POLine, PurchaseOrder
    from baton.sourcing.requirements.models import HandoffSnapshot, Requirement

    req = v.session.get(Requirement, uuid.UUID(v.id("requirement_id")))
    snap = v.session.get(HandoffSnapshot, req.current_snapshot_id)
    line = snap.payload["lines"][0]
    po = PurchaseOrder(
        id=uuid.uuid4(),
        tenant_id=v.org_id,
        provider_id=v.provider_id,
        number=f"PO-{v.tag}"[:32],
        engagement_id=req.engagement_id,
        supplier_id=req.supplier_id,
        currency=req.currency,
        ship_to=f"Order dock {v.tag}",
        notes=f"Order note {v.tag}",
        status="released",
        submitted_at=utcnow(),
        released_at=utcnow(),
        link_nonce=f"nonce{v.tag}"[:32],
        total=Decimal("62.50"),
    )
    po.lines = [
        POLine(
            id=uuid.uuid4(),
            tenant_id=v.org_id,
            provider_id=v.provider_id,
            po_id=po.id,
            line_no=1,
            requirement_id=req.id,
            requirement_line_id=uuid.UUID(line["line_id"]),
            snapshot_id=snap.id,
            item_code=line["item_code"],
            description=line["description"],
            quantity=Decimal("5"),
            unit="pcs",
            unit_price=Decimal("12.50"),
            schedule=[{"date": line["need_by"], "quantity": "5"}],
            specs=[],
        )
    ]
    v.session.add(po)
    v.session.flush()
    v.mark(po.number, po.notes, po.ship_to)
    return po.id


@parameter("change_id")
def _change_order(v: Victim) -> uuid.UUID:
    """A change order of the victim's order, submitted to its client."""
    from baton.procurement.orders.change_models import POChangeOrder
    from baton.procurement.orders.change_proposals import current_proposal
    from baton.procurement.orders.models import PurchaseOrder

    po = v.session.get(PurchaseOrder, uuid.UUID(v.id("po_id")))
    header, lines = current_proposal(po)
    change = POChangeOrder(
        id=uuid.uuid4(),
        tenant_id=v.org_id,
        provider_id=v.provider_id,
        po_id=po.id,
        number=1,
        base_revision=po.revision,
        status="pending_approval",
        cause="client_change",
        reason=f"Change reason {v.tag}",
        header=header | {"notes": f"Changed note {v.tag}"},
        lines=lines,
        diff=[],
        total_before=po.total,
        total_after=po.total,
        required_approvals=1,
        approval_round=1,
        submitted_at=utcnow(),
    )
    v.session.add(change)
    v.session.flush()
    v.mark(change.reason, change.header["notes"])
    return change.id


@parameter("revision")
def _revision_number(v: Victim) -> int:
    """A frozen revision of the victim's order, numbered so that the number is
    a marker no page shows by chance (the order is set to that revision)."""
    import io

    from baton.platform.storage import get_store
    from baton.procurement.orders.change_models import PORevision
    from baton.procurement.orders.models import PurchaseOrder
    from baton.sourcing.documents import services as documents

    po = v.session.get(PurchaseOrder, uuid.UUID(v.id("po_id")))
    po.revision = 700_000_000 + uuid.uuid4().int % 100_000_000
    pdf = documents.create_document(
        v.session,
        get_store(),
        v.org_id,
        kind="po_pdf",
        title=f"Purchase order PDF {v.tag}",
        number=f"PDF-{v.tag}"[:64],
        stream=io.BytesIO(f"%PDF-1.4 order {v.tag}".encode()),
        filename=f"po-{v.tag}.pdf",
        max_bytes=1_000_000,
        provider_id=v.provider_id,
        kinds=("po_pdf",),
    )
    v.session.add(
        PORevision(
            id=uuid.uuid4(),
            tenant_id=v.org_id,
            provider_id=v.provider_id,
            po_id=po.id,
            revision=po.revision,
            header={"ship_to": po.ship_to, "notes": po.notes, "currency": po.currency},
            lines=[],
            total=po.total,
            pdf_revision_id=pdf.id,
            released_at=utcnow(),
        )
    )
    v.session.flush()
    v.mark(f"Purchase order PDF {v.tag}", f"po-{v.tag}.pdf")
    return po.revision
