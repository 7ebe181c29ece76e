"""Receiving goods against a shipment notice, with the delivery's packing slip.

The notice and the slip are checked before ``receipts.receive`` writes
anything; the slip is stored once and linked from every row of the receipt
(one row per line), as is the notice.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform import audit
from baton.platform.errors import Conflict, NotFound, ValidationFailed
from baton.procurement.orders import attachments, receipts
from baton.procurement.orders.models import POReceipt
from baton.procurement.orders.queries import get_for_provider
from baton.procurement.orders.shipments import describe, shipment_of


def receive(
    session: Session,
    provider_id: uuid.UUID,
    user_id: uuid.UUID | None,
    po_id: uuid.UUID,
    lines: list[dict],
    *,
    reference: str | None = None,
    received_on: Any = None,
    shipment_id: Any = None,
    packing_slip: attachments.Upload | None = None,
) -> list[POReceipt]:
    """``receipts.receive``, plus the notice it arrived against and its packing
    slip, both checked before anything is written."""
    po = get_for_provider(session, provider_id, po_id, lock=True)
    shipment = None
    if shipment_id:
        shipment = shipment_of(session, po, shipment_id)
        if shipment is None:
            raise ValidationFailed({"shipment_id": "Choose a shipment notice of this order."})
    if packing_slip is not None:
        packing_slip = attachments.check_upload(packing_slip, "packing_slip")
    rows = receipts.receive(
        session, provider_id, user_id, po_id, lines, reference=reference, received_on=received_on
    )
    if shipment is None and packing_slip is None:
        return rows
    slip = None
    if packing_slip is not None:
        slip = attachments.store(
            session,
            po,
            packing_slip,
            kind="packing_slip",
            field="packing_slip",
            note="With the receipt",
            uploaded_by_id=user_id,
        )
    for row in rows:
        row.packing_slip_revision_id = slip.id if slip else None
        row.shipment_id = shipment.id if shipment else None
    audit.record(
        session,
        tenant_id=po.tenant_id,
        provider_id=po.provider_id,
        action="purchase_order.receipt_documented",
        entity_type="purchase_order",
        entity_id=po.id,
        changes={
            **({"packing_slip": [None, slip.filename]} if slip else {}),
            **({"shipment_notice": [None, describe(shipment)]} if shipment else {}),
        },
    )
    return rows


def attach_to_receipt(
    session: Session,
    provider_id: uuid.UUID,
    user_id: uuid.UUID | None,
    po_id: uuid.UUID,
    receipt_id: uuid.UUID,
    packing_slip: attachments.Upload | None,
) -> POReceipt:
    """A packing slip for a receipt recorded without one (the API's upload)."""
    po = get_for_provider(session, provider_id, po_id, lock=True)
    receipt = session.scalar(
        sa.select(POReceipt).where(
            POReceipt.tenant_id == po.tenant_id,
            POReceipt.po_id == po.id,
            POReceipt.id == receipt_id,
        )
    )
    if receipt is None:
        raise NotFound("No such receipt on this order.")
    if packing_slip is None:
        raise ValidationFailed({"file": "Choose the packing slip to upload."})
    if receipt.packing_slip_revision_id is not None:
        raise Conflict("This receipt has its packing slip already; nothing was changed.")
    slip = attachments.store(
        session,
        po,
        attachments.check_upload(packing_slip, "file"),
        kind="packing_slip",
        field="file",
        note="With the receipt",
        uploaded_by_id=user_id,
    )
    receipt.packing_slip_revision_id = slip.id
    audit.record(
        session,
        tenant_id=po.tenant_id,
        provider_id=po.provider_id,
        action="purchase_order.receipt_documented",
        entity_type="purchase_order",
        entity_id=po.id,
        changes={"packing_slip": [None, slip.filename], "line": [None, receipt.line_no]},
    )
    return receipt
