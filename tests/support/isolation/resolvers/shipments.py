"""Resolvers for shipment notices, receipts and files attached to the victim's
purchase order: a notice with its packing slip stored in the document store,
and a receipt against it."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from decimal import Decimal

from baton.platform.db import utc_today
from tests.support.isolation.victim import Victim, parameter


def _shipment(v: Victim):
    from flask import current_app

    from baton.platform import storage
    from baton.procurement.orders.models import PurchaseOrder
    from baton.procurement.orders.shipment_models import POShipment
    from baton.sourcing.documents.services import create_document

    po = v.session.get(PurchaseOrder, uuid.UUID(v.id("po_id")))
    existing = v.session.query(POShipment).filter_by(tenant_id=po.tenant_id, po_id=po.id).first()
    if existing is not None:
        return po, existing
    slip = create_document(
        v.session,
        storage.get_store(current_app),
        po.tenant_id,
        kind="packing_slip",
        title=f"Packing slip {v.tag}",
        number=f"PS-{v.tag}"[:64],
        stream=io.BytesIO(b"%PDF-1.4 packing slip " + v.tag.encode()),
        filename=f"slip-{v.tag}.pdf",
        max_bytes=1024 * 1024,
        provider_id=po.provider_id,
        kinds=("packing_slip",),
    )
    shipment = POShipment(
        id=uuid.uuid4(),
        tenant_id=po.tenant_id,
        provider_id=po.provider_id,
        po_id=po.id,
        revision=po.revision,
        carrier=f"Carrier {v.tag}"[:100],
        tracking_number=f"TRK-{v.tag}"[:100],
        shipped_on=utc_today(),
        expected_on=utc_today() + timedelta(days=3),
        lines=[{"line_no": 1, "quantity": "2"}],
        packing_slip_revision_id=slip.id,
        source="supplier_link",
        idempotency_key=f"isolation-{uuid.uuid4().hex}",
    )
    v.session.add(shipment)
    v.session.flush()
    v.mark(shipment.carrier, shipment.tracking_number, slip.filename)
    return po, shipment


@parameter("attachment_id")
def _attachment(v: Victim) -> uuid.UUID:
    _po, shipment = _shipment(v)
    return shipment.packing_slip_revision_id


@parameter("receipt_id")
def _receipt(v: Victim) -> uuid.UUID:
    from baton.procurement.orders.models import POReceipt

    po, shipment = _shipment(v)
    receipt = POReceipt(
        id=uuid.uuid4(),
        tenant_id=po.tenant_id,
        provider_id=po.provider_id,
        po_id=po.id,
        line_no=1,
        quantity_received=Decimal("1"),
        quantity_rejected=Decimal("0"),
        reference=f"DN-{v.tag}"[:100],
        received_on=utc_today(),
        shipment_id=shipment.id,
    )
    v.session.add(receipt)
    v.session.flush()
    v.mark(receipt.reference)
    return receipt.id
