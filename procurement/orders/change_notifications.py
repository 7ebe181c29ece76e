"""Who hears about change orders and engineering changes, and the subscription
that turns sourcing's ``document.revised`` into flagged order lines."""

from __future__ import annotations

import uuid

from flask import url_for
from sqlalchemy.orm import Session

from baton.platform.notify import Notification, Subscription
from baton.procurement.orders.change_models import POChangeOrder
from baton.procurement.orders.models import PurchaseOrder
from baton.procurement.orders.notifications import APPROVER_ROLES
from baton.procurement.orders.spec_changes import OUTDATED_EVENT, SPEC_REVISED
from baton.tenants.services import member_emails, organisation_names, user_emails

SOURCING_ROLES = ("sourcing", "admin")

SUBSCRIPTIONS = [Subscription("document.revised", SPEC_REVISED)]


def _order_context(session: Session, po: PurchaseOrder) -> dict:
    names = organisation_names(session, [po.tenant_id, po.provider_id])
    return {
        "po_id": str(po.id),
        "number": po.number,
        "revision": po.revision,
        "tenant_id": str(po.tenant_id),
        "buyer_id": str(po.buyer_id) if po.buyer_id else None,
        "currency": po.currency,
        "client": names.get(po.tenant_id, ""),
        "provider": names.get(po.provider_id, ""),
    }


def _change(session: Session, payload: dict) -> dict | None:
    change = session.get(POChangeOrder, uuid.UUID(payload["change_order_id"]))
    po = session.get(PurchaseOrder, change.po_id) if change is not None else None
    if change is None or po is None:
        return None
    return _order_context(session, po) | {
        "id": str(change.id),
        "change_no": change.number,
        "round": change.approval_round,
        "status": change.status,
        "reason": change.reason,
        "total_before": str(change.total_before),
        "total_after": str(change.total_after),
        "diff": [f"{d['label']}: {d['before'] or '—'} → {d['after'] or '—'}" for d in change.diff],
        "event": payload["event"].split(".")[-1],
    }


def _for_approvers(session: Session, payload: dict) -> dict | None:
    context = _change(session, payload)
    if context is None or context["status"] != "pending_approval":
        return None
    return context | {
        "link": url_for("client_orders.detail", po_id=context["po_id"], _external=True)
    }


def _for_buyer(session: Session, payload: dict) -> dict | None:
    context = _change(session, payload)
    if context is None:
        return None
    return context | {
        "link": url_for(
            "provider_changes.detail",
            po_id=context["po_id"],
            change_id=context["id"],
            _external=True,
        )
    }


def _outdated(session: Session, payload: dict, endpoint: str) -> dict | None:
    po = session.get(PurchaseOrder, uuid.UUID(payload["purchase_order_id"]))
    if po is None:
        return None
    return _order_context(session, po) | {
        "document_number": payload["document_number"],
        "revision_no": payload["revision_no"],
        "lines": payload["lines"],
        "link": url_for(endpoint, po_id=str(po.id), _external=True),
    }


def _approvers(session: Session, context: dict) -> list[str]:
    return member_emails(session, uuid.UUID(context["tenant_id"]), APPROVER_ROLES)


def _sourcing(session: Session, context: dict) -> list[str]:
    return member_emails(session, uuid.UUID(context["tenant_id"]), SOURCING_ROLES)


def _buyer(session: Session, context: dict) -> list[str]:
    if not context.get("buyer_id"):
        return []
    return user_emails(session, [uuid.UUID(context["buyer_id"])])


NOTIFICATIONS = [
    Notification(
        "change_order.submitted",
        load=_for_approvers,
        recipients=_approvers,
        subject=lambda c: (
            f"Approve change order {c['change_no']} of {c['number']} from {c['provider']}"
        ),
        template="change_order_submitted",
        key=lambda c: f"change:{c['id']}:round:{c['round']}:submitted",
    ),
    *[
        Notification(
            f"change_order.{event}",
            load=_for_buyer,
            recipients=_buyer,
            subject=lambda c, verb=verb: (
                f"Change order {c['change_no']} of {c['number']} {verb} by {c['client']}"
            ),
            template="change_order_decided",
            key=lambda c, event=event: f"change:{c['id']}:round:{c['round']}:{event}",
        )
        for event, verb in (("approved", "approved"), ("rejected", "rejected"))
    ],
    Notification(
        OUTDATED_EVENT,
        load=lambda s, p: _outdated(s, p, "provider_orders.detail"),
        recipients=_buyer,
        subject=lambda c: (
            f"{c['number']}: specification {c['document_number']} is now revision {c['revision_no']}"
        ),
        template="purchase_order_spec_outdated",
        key=lambda c: f"po:{c['po_id']}:spec:{c['document_number']}:{c['revision_no']}:buyer",
    ),
    Notification(
        OUTDATED_EVENT,
        load=lambda s, p: _outdated(s, p, "client_orders.detail"),
        recipients=_sourcing,
        subject=lambda c: (
            f"Open order {c['number']} is bought to an earlier revision of {c['document_number']}"
        ),
        template="purchase_order_spec_outdated",
        key=lambda c: f"po:{c['po_id']}:spec:{c['document_number']}:{c['revision_no']}:client",
    ),
]
