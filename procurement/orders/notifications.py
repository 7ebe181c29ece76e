"""Who hears about each order event: approvers when an order waits for them, the
buyer when the client decides or the supplier answers."""

from __future__ import annotations

import uuid

from flask import url_for
from sqlalchemy.orm import Session

from baton.platform.notify import Notification
from baton.procurement.orders.models import PurchaseOrder
from baton.tenants.services import member_emails, organisation_names, user_emails

APPROVER_ROLES = ("approver", "admin")


def _load(session: Session, payload: dict) -> dict | None:
    po = session.get(PurchaseOrder, uuid.UUID(payload["purchase_order_id"]))
    if po is None:
        return None
    names = organisation_names(session, [po.tenant_id, po.provider_id])
    return {
        "id": str(po.id),
        "number": po.number,
        "revision": po.revision,
        "tenant_id": str(po.tenant_id),
        "buyer_id": str(po.buyer_id) if po.buyer_id else None,
        "total": str(po.total),
        "currency": po.currency,
        "approvals": po.required_approvals,
        "round": po.approval_round,
        "client": names.get(po.tenant_id, ""),
        "provider": names.get(po.provider_id, ""),
        "status": po.status,
    }


def _for_client(session: Session, payload: dict) -> dict | None:
    context = _load(session, payload)
    if context is None or context["status"] != "pending_approval":
        return None  # decided already by the time the email would go
    return context | {"link": url_for("client_orders.detail", po_id=context["id"], _external=True)}


def _for_buyer(session: Session, payload: dict) -> dict | None:
    context = _load(session, payload)
    if context is None:
        return None
    return context | {
        "event": payload["event"].split(".")[-1],
        "link": url_for("provider_orders.detail", po_id=context["id"], _external=True),
    }


def _approvers(session: Session, context: dict) -> list[str]:
    return member_emails(session, uuid.UUID(context["tenant_id"]), APPROVER_ROLES)


def _buyer(session: Session, context: dict) -> list[str]:
    if not context.get("buyer_id"):
        return []
    return user_emails(session, [uuid.UUID(context["buyer_id"])])


NOTIFICATIONS = [
    Notification(
        "purchase_order.submitted",
        load=_for_client,
        recipients=_approvers,
        subject=lambda c: f"Approve purchase order {c['number']} from {c['provider']}",
        template="purchase_order_submitted",
        key=lambda c: f"po:{c['id']}:rev:{c['revision']}:round:{c['round']}:submitted",
    ),
    *[
        Notification(
            f"purchase_order.{event}",
            load=_for_buyer,
            recipients=_buyer,
            subject=lambda c, verb=verb: (
                f"{c['number']} {verb} by {c['client'] if c['event'] != 'acknowledged' else 'the supplier'}"
            ),
            template="purchase_order_decided",
            key=lambda c, event=event: (
                f"po:{c['id']}:rev:{c['revision']}:round:{c['round']}:{event}"
            ),
        )
        for event, verb in (
            ("approved", "approved"),
            ("rejected", "rejected"),
            ("acknowledged", "acknowledged"),
        )
    ],
]
