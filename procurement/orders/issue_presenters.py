"""The API's representation of an order issue and its thread: plain values."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from baton.procurement.orders.issue_models import POIssue
from baton.procurement.orders.issue_queries import Thread
from baton.procurement.orders.issue_states import ORDER_ISSUE
from baton.procurement.orders.models import PurchaseOrder
from baton.tenants.services import user_names


def represent_issue(
    session: Session, issue: POIssue, po: PurchaseOrder | None, thread: Thread | None
) -> dict[str, Any]:
    """``thread`` None: the list form, without messages."""
    found: dict[str, Any] = {
        "id": issue.id,
        "number": issue.number,
        "po_id": issue.po_id,
        "po_number": po.number if po is not None else None,
        "client_id": issue.tenant_id,
        "line_no": issue.line_no,
        "cause": issue.cause,
        "title": issue.title,
        "status": issue.status,
        "routed_to": issue.routed_to,
        "waiting_on": ORDER_ISSUE.waits_on(issue.status),
        "resolution_note": issue.resolution_note,
        "resolved_at": issue.resolved_at,
        "created_at": issue.created_at,
        "updated_at": issue.updated_at,
    }
    if thread is None:
        return found
    messages = thread.of(issue)
    names = user_names(session, {m.author_id for m in messages})
    found["messages"] = [
        {
            "id": m.id,
            "author_kind": m.author_kind,
            "author": names.get(m.author_id, m.author_label) if m.author_id else m.author_label,
            "body": m.body,
            "created_at": m.created_at,
            "attachment": _attachment(thread, m.document_revision_id),
        }
        for m in messages
    ]
    return found


def _attachment(thread: Thread, revision_id) -> dict | None:
    revision = thread.attachments.get(revision_id) if revision_id else None
    if revision is None:
        return None
    return {
        "filename": revision.filename,
        "content_type": revision.content_type,
        "size": revision.size,
        "sha256": revision.sha256,
    }
