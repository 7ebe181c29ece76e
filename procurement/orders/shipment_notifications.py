"""The buyer hears when a supplier (or a colleague) records a shipment notice."""

from __future__ import annotations

import uuid

from flask import url_for
from sqlalchemy.orm import Session

from baton.platform.notify import Notification
from baton.procurement.orders.models import PurchaseOrder
from baton.procurement.orders.shipment_models import POShipment
from baton.procurement.orders.shipments import EVENT, SOURCE_LABELS
from baton.tenants.services import organisation_names, user_emails


def _load(session: Session, payload: dict) -> dict | None:
    po = session.get(PurchaseOrder, uuid.UUID(payload["purchase_order_id"]))
    shipment = session.get(POShipment, uuid.UUID(payload["shipment_id"]))
    if po is None or shipment is None or not po.buyer_id:
        return None
    names = organisation_names(session, [po.tenant_id])
    return {
        "id": str(po.id),
        "shipment_id": str(shipment.id),
        "number": po.number,
        "client": names.get(po.tenant_id, ""),
        "buyer_id": str(po.buyer_id),
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "shipped_on": shipment.shipped_on.isoformat(),
        "expected_on": shipment.expected_on.isoformat() if shipment.expected_on else None,
        "lines": [dict(e) for e in shipment.lines],
        "source": SOURCE_LABELS.get(shipment.source, shipment.source),
        "link": url_for("provider_orders.detail", po_id=po.id, _external=True),
    }


def _buyer(session: Session, context: dict) -> list[str]:
    return user_emails(session, [uuid.UUID(context["buyer_id"])])


NOTIFICATIONS = [
    Notification(
        EVENT,
        load=_load,
        recipients=_buyer,
        subject=lambda c: f"{c['number']} shipped: {c['carrier']}, expected {c['expected_on']}",
        template="purchase_order_shipment",
        key=lambda c: f"po:{c['id']}:shipment:{c['shipment_id']}",
    )
]
