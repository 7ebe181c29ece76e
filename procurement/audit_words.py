"""How purchase orders read in an audit log and on an order's timeline
(see ``platform.audit_text``)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.audit_text import Keys, ids_of, names_by_id
from baton.procurement.orders.change_models import POChangeOrder
from baton.procurement.orders.issue_models import CAUSE_LABELS, POIssue
from baton.procurement.orders.models import PurchaseOrder


def _orders(session: Session, keys: Keys) -> dict:
    rows = session.execute(
        sa.select(PurchaseOrder.id, PurchaseOrder.tenant_id, PurchaseOrder.number).where(
            PurchaseOrder.id.in_(ids_of(keys)),
            PurchaseOrder.tenant_id.in_({t for t, _v in keys}),
        )
    )
    return names_by_id(keys, rows)


def _issues(session: Session, keys: Keys) -> dict:
    rows = session.execute(
        sa.select(POIssue.id, POIssue.tenant_id, POIssue.number, POIssue.title).where(
            POIssue.id.in_(ids_of(keys)), POIssue.tenant_id.in_({t for t, _v in keys})
        )
    )
    return names_by_id(keys, ((i, t, f"issue {n}: {title}") for i, t, n, title in rows))


def _changes(session: Session, keys: Keys) -> dict:
    rows = session.execute(
        sa.select(
            POChangeOrder.id,
            POChangeOrder.tenant_id,
            PurchaseOrder.number + " change " + sa.cast(POChangeOrder.number, sa.String),
        )
        .join(
            PurchaseOrder,
            sa.and_(
                PurchaseOrder.id == POChangeOrder.po_id,
                PurchaseOrder.tenant_id == POChangeOrder.tenant_id,
            ),
        )
        .where(
            POChangeOrder.id.in_(ids_of(keys)),
            POChangeOrder.tenant_id.in_({t for t, _v in keys}),
        )
    )
    return names_by_id(keys, rows)


NAMES = {"purchase_order": _orders, "order_issue": _issues, "change_order": _changes}
FIELDS: dict[str, str] = {"attachment": "document_revision", "po_id": "purchase_order"}
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
    "purchase_order.revise": "Changed: a new revision released to the supplier",
    "purchase_order.spec_outdated": "A specification it is bought to was revised",
    "change_order.created": "Change order started",
    "change_order.updated": "Change order edited",
    "change_order.submit": "Change order submitted for approval",
    "change_order.approve_on_submit": "Change order approved on submission (within the policy)",
    "change_order.approve": "Change order approved",
    "change_order.approval_recorded": "Change order approval recorded",
    "change_order.reject": "Change order rejected",
    "change_order.release": "Change order released as a new revision",
    "change_order.withdraw": "Change order withdrawn",
    "approval_policy.updated": "Approval policy changed",
    # Order issues (procurement/orders/issues.py), on the order's timeline too.
    "order_issue.raised": "Issue raised",
    "order_issue.route_to_client": "Issue routed to the client",
    "order_issue.route_to_supplier": "Issue routed to the supplier",
    "order_issue.client_answer": "Client answered the issue",
    "order_issue.supplier_answer": "Supplier answered the issue",
    "order_issue.replied": "Reply in the issue's thread",
    "order_issue.resolve": "Issue resolved",
    "order_issue.reopen": "Issue reopened",
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
    "cause": lambda v: CAUSE_LABELS.get(v, v),
}
