"""The API's representation of shipment notices and receipts."""

from __future__ import annotations

from typing import Any

from baton.procurement.orders.models import POReceipt
from baton.procurement.orders.shipment_models import POShipment
from baton.sourcing.documents.models import DocumentRevision
from baton.sourcing.requirements.snapshot import decimal_text


def attachment(revision: DocumentRevision | None) -> dict[str, Any] | None:
    if revision is None:
        return None
    return {
        "id": revision.id,
        "filename": revision.filename,
        "content_type": revision.content_type,
        "size": revision.size,
        "sha256": revision.sha256,
    }


def shipment(s: POShipment, files: dict, received: set) -> dict[str, Any]:
    return {
        "id": s.id,
        "po_id": s.po_id,
        "revision": s.revision,
        "source": s.source,
        "carrier": s.carrier,
        "tracking_number": s.tracking_number,
        "shipped_on": s.shipped_on,
        "expected_on": s.expected_on,
        "note": s.note,
        "lines": [dict(e) for e in s.lines],
        "packing_slip": attachment(files.get(s.packing_slip_revision_id)),
        "received": s.id in received,
        "created_at": s.created_at,
    }


def receipt(r: POReceipt, files: dict) -> dict[str, Any]:
    return {
        "id": r.id,
        "line_no": r.line_no,
        "quantity_received": decimal_text(r.quantity_received),
        "quantity_rejected": decimal_text(r.quantity_rejected),
        "reject_reason": r.reject_reason,
        "reference": r.reference,
        "received_on": r.received_on,
        "shipment_id": r.shipment_id,
        "packing_slip": attachment(files.get(r.packing_slip_revision_id)),
        "created_at": r.created_at,
    }
