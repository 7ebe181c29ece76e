"""Who hears about order issues: the client's people when the buyer asks the
client, the supplier's order contact (with its link) when the buyer asks the
supplier, and the buyer when either answers."""

from __future__ import annotations

import uuid

from flask import url_for
from sqlalchemy.orm import Session

from baton.platform.notify import Notification
from baton.procurement.orders import links
from baton.procurement.orders.issue_models import POIssue, POIssueMessage
from baton.procurement.orders.models import PurchaseOrder
from baton.sourcing.suppliers.models import Supplier
from baton.tenants.services import member_emails, organisation_names, user_emails, user_names

CLIENT_ROLES = ("admin", "approver", "sourcing")


def _load(session: Session, payload: dict) -> dict | None:
    issue = session.get(POIssue, uuid.UUID(payload["order_issue_id"]))
    if issue is None:
        return None
    po = session.get(PurchaseOrder, issue.po_id)
    message = session.get(POIssueMessage, uuid.UUID(payload["message_id"]))
    if po is None or message is None:
        return None
    names = organisation_names(session, [po.tenant_id, po.provider_id])
    return {
        "issue_id": str(issue.id),
        "message_id": str(message.id),
        "po_id": str(po.id),
        "number": po.number,
        "issue_number": issue.number,
        "title": issue.title,
        "line_no": issue.line_no,
        "message": message.body,
        "author": user_names(session, [message.author_id]).get(
            message.author_id, message.author_label
        ),
        "tenant_id": str(po.tenant_id),
        "supplier_id": str(po.supplier_id),
        "buyer_ids": [str(i) for i in {po.buyer_id, issue.raised_by_id} if i],
        "client": names.get(po.tenant_id, ""),
        "provider": names.get(po.provider_id, ""),
        "status": issue.status,
        "_po": po,
    }


def _strip(context: dict) -> dict:
    return {k: v for k, v in context.items() if not k.startswith("_")}


def _for_client(session: Session, payload: dict) -> dict | None:
    context = _load(session, payload)
    if context is None or context["status"] != "with_client":
        return None  # answered or moved on before the email would go
    return _strip(context) | {
        "link": url_for("client_issues.detail", issue_id=context["issue_id"], _external=True)
    }


def _for_supplier(session: Session, payload: dict) -> dict | None:
    context = _load(session, payload)
    if context is None or context["status"] != "with_supplier":
        return None
    po = context["_po"]
    if po.link_nonce is None:
        return None  # the link was withdrawn: nothing the supplier could open
    supplier = session.get(Supplier, po.supplier_id)
    return _strip(context) | {
        "supplier": supplier.name if supplier else "",
        "contact": supplier.contact_email if supplier else None,
        "link": url_for("supplier_orders.order", token=links.token_for(po), _external=True),
    }


def _for_buyer(session: Session, payload: dict) -> dict | None:
    context = _load(session, payload)
    if context is None:
        return None
    return _strip(context) | {
        "link": url_for("provider_issues.detail", issue_id=context["issue_id"], _external=True)
    }


def _client_people(session: Session, context: dict) -> list[str]:
    return member_emails(session, uuid.UUID(context["tenant_id"]), CLIENT_ROLES)


def _supplier_contact(session: Session, context: dict) -> list[str]:
    return [context["contact"]] if context.get("contact") else []


def _buyers(session: Session, context: dict) -> list[str]:
    return user_emails(session, [uuid.UUID(i) for i in context["buyer_ids"]])


def _key(what: str):
    return lambda c: f"order_issue:{c['issue_id']}:{what}:{c['message_id']}"


NOTIFICATIONS = [
    Notification(
        "order_issue.routed_to_client",
        load=_for_client,
        recipients=_client_people,
        subject=lambda c: f"{c['provider']} asks you about {c['number']}: {c['title']}",
        template="order_issue_routed_to_client",
        key=_key("to_client"),
    ),
    Notification(
        "order_issue.routed_to_supplier",
        load=_for_supplier,
        recipients=_supplier_contact,
        subject=lambda c: f"Question on purchase order {c['number']}: {c['title']}",
        template="order_issue_routed_to_supplier",
        key=_key("to_supplier"),
    ),
    Notification(
        "order_issue.answered",
        load=_for_buyer,
        recipients=_buyers,
        subject=lambda c: f"Answer on {c['number']} issue {c['issue_number']}: {c['title']}",
        template="order_issue_answered",
        key=_key("answered"),
    ),
]
