"""The API's representation of an order: plain values, money as decimal strings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from baton.procurement.orders.drafting import line_total
from baton.procurement.orders.models import PurchaseOrder
from baton.sourcing.requirements.snapshot import decimal_text
from baton.sourcing.suppliers.models import Supplier


def represent(session: Session, po: PurchaseOrder) -> dict[str, Any]:
    supplier = session.get(Supplier, po.supplier_id)
    return {
        "id": po.id,
        "number": po.number,
        "revision": po.revision,
        "version": po.version,
        "status": po.status,
        "client_id": po.tenant_id,
        "provider_id": po.provider_id,
        "supplier_id": po.supplier_id,
        "supplier_name": supplier.name if supplier else None,
        "currency": po.currency,
        "total": f"{po.total:.2f}",
        "payment_terms": po.payment_terms,
        "incoterms": po.incoterms,
        "ship_to": po.ship_to,
        "notes": po.notes,
        "required_approvals": po.required_approvals,
        "submitted_at": po.submitted_at,
        "released_at": po.released_at,
        "acknowledged_at": po.acknowledged_at,
        "lines": [
            {
                "line_no": line.line_no,
                "item_code": line.item_code,
                "description": line.description,
                "quantity": decimal_text(line.quantity),
                "unit": line.unit,
                "unit_price": decimal_text(line.unit_price),
                "line_total": f"{line_total(line):.2f}",
                "schedule": line.schedule,
                "specs": line.specs,
                "promised_date": line.promised_date,
                "received_quantity": decimal_text(line.received_quantity),
                "rejected_quantity": decimal_text(line.rejected_quantity),
                "requirement_id": line.requirement_id,
                "snapshot_id": line.snapshot_id,
            }
            for line in po.lines
        ],
    }


# What ``list_item`` reads: all a list page selects.
LIST_ITEM_COLUMNS = (
    PurchaseOrder.id,
    PurchaseOrder.tenant_id,
    PurchaseOrder.number,
    PurchaseOrder.status,
    PurchaseOrder.supplier_id,
    PurchaseOrder.currency,
    PurchaseOrder.total,
    PurchaseOrder.created_at,
)


def list_item(po: PurchaseOrder | Row) -> dict[str, str]:
    """One order of a list (an order, or a row of ``LIST_ITEM_COLUMNS``),
    already as ``OrderListItemSchema`` dumps it (ids and the ISO time as
    strings): a page answers without a second pass over its 400 values
    (``platform.api.dumped``)."""
    return {
        "id": str(po.id),
        "number": po.number,
        "status": po.status,
        "client_id": str(po.tenant_id),
        "supplier_id": str(po.supplier_id),
        "currency": po.currency,
        "total": f"{po.total:.2f}",
        "created_at": po.created_at.isoformat(),
    }
