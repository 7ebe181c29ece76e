"""How shipment notices and an order's attached files read on its timeline."""

from __future__ import annotations

ACTIONS = {
    "purchase_order.shipment_notice": "Shipment notice",
    "purchase_order.receipt_documented": "Receipt's paperwork recorded",
    "purchase_order.acknowledgement_attached": "Acknowledgement file attached",
}
