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
