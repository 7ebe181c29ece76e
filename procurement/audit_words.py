"""How purchase orders read in an audit log and on an order's timeline
(see ``platform.audit_text``)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.audit_text import Keys, ids_of, names_by_id
from baton.procurement.orders.models import PurchaseOrder


def _orders(session: Session, keys: Keys) -> dict:
    rows = session.execute(
        sa.select(PurchaseOrder.id, PurchaseOrder.tenant_id, PurchaseOrder.number).where(
            PurchaseOrder.id.in_(ids_of(keys)),
            PurchaseOrder.tenant_id.in_({t for t, _v in keys}),
        )
    )
    return names_by_id(keys, rows)


NAMES = {"purchase_order": _orders}
FIELDS: dict[str, str] = {}
ACTIONS = {
    "purchase_order.created": "Order drafted",
    "purchase_order.updated": "Order changed",
    "purchase_order.submit": "Submitted for approval",
    "purchase_order.approve_on_submit": "Approved on submission (within the policy)",
    "purchase_order.approve": "Approved",
    "purchase_order.approval_recorded": "Approved (another approval is still needed)",
    "purchase_order.reject": "Rejected",
    "purchase_order.recall": "Recalled to draft",
    "purchase_order.release": "Released to the supplier",
    "purchase_order.acknowledge": "Acknowledged",
    "purchase_order.changes_accepted": "Supplier's changes accepted",
    "purchase_order.received": "Goods received",
    "purchase_order.receive_part": "Partially received",
    "purchase_order.receive_all": "Received in full",
    "purchase_order.close": "Closed",
    "purchase_order.cancel": "Cancelled",
    "purchase_order.link_revoked": "Supplier link withdrawn",
    "purchase_order.chased": "Supplier chased",
    "approval_policy.updated": "Approval policy changed",
}
# Whom the clock waits on (workflow's ``waiting_on``), and where an acknowledgement came from.
PARTIES = {"client": "the client", "provider": "the provider", "supplier": "the supplier"}
SOURCES = {"supplier_link": "the supplier's link", "email": "email", "phone": "phone"}


def _money(value) -> str:
    """An order total as money is written: 962.5 reads as 962.50."""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


VALUES: dict = {
    "waiting_on": lambda v: PARTIES.get(v, str(v)),
    "source": lambda v: SOURCES.get(v, str(v)),
    "total": _money,
}
