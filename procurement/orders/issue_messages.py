"""A message in an order issue's thread: the checks on what a party writes,
its attachment, its one-time key, and the reply that may move the issue on
(``ORDER_ISSUE``). The actions that use them are in ``issues``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from baton.platform import audit, storage
from baton.platform.db import utcnow
from baton.platform.errors import Conflict, ValidationFailed
from baton.platform.request_context import actor_var
from baton.platform.workflow import CLIENT, PROVIDER, SUPPLIER
from baton.procurement.orders import issue_queries as q
from baton.procurement.orders.fields import text_value
from baton.procurement.orders.issue_models import POIssue, POIssueMessage
from baton.procurement.orders.issue_states import ORDER_ISSUE
from baton.procurement.orders.models import PurchaseOrder
from baton.sourcing.documents.services import create_document

ATTACHMENT_LIMIT = 10 * 1024 * 1024
BODY_LIMIT = 10_000
KEY_LIMIT = 64


class AlreadySent(Conflict):
    """The same form came twice; the first one counted."""

    def __init__(self) -> None:
        super().__init__("This was already sent; nothing was changed.")


@dataclass(frozen=True)
class Upload:
    stream: BinaryIO
    filename: str | None


# --- checks ----------------------------------------------------------------------


def text_field(
    errors: dict, name: str, raw: Any, limit: int, *, multiline: bool, message: str
) -> str | None:
    """The field's text, or None with ``message`` (or the limit broken) under
    ``name`` in ``errors``, so a form reports every field at once."""
    try:
        value = text_value(raw, limit=limit, multiline=multiline, required=True)
    except ValueError as exc:
        errors[name] = message if str(exc) == "This is required." else str(exc)
        return None
    return value


def one_time_key(raw: Any) -> str | None:
    """The form's (or the API's Idempotency-Key) one-time key: printable ASCII,
    so a hostile value is at worst a key nobody else sends."""
    key = "".join(c for c in str(raw or "")[: KEY_LIMIT * 4] if "!" <= c <= "~")
    return key[:KEY_LIMIT] or None


def excerpt(body: str) -> str:
    line = " ".join(body.split())
    return line if len(line) <= 120 else line[:119] + "…"


# --- writing a message -----------------------------------------------------------


def add_message(
    session: Session,
    po: PurchaseOrder,
    issue: POIssue,
    *,
    author_kind: str,
    author_id: uuid.UUID | None,
    body: str,
    upload: Upload | None,
    shared_with_supplier: bool,
    form_key: str | None,
) -> POIssueMessage:
    message = POIssueMessage(
        id=uuid.uuid4(),
        tenant_id=po.tenant_id,
        provider_id=po.provider_id,
        issue_id=issue.id,
        author_kind=author_kind,
        author_id=author_id,
        author_label=actor_var.get().label[:200],
        body=body,
        shared_with_supplier=shared_with_supplier,
        form_key=form_key,
    )
    if upload is not None:
        revision = create_document(
            session,
            storage.get_store(),
            po.tenant_id,
            kind="other",
            kinds=("other",),
            title=f"Attachment to issue {issue.number} on {po.number}",
            number=f"{po.number}-I{issue.number}-{message.id.hex[:8]}",
            stream=upload.stream,
            filename=upload.filename,
            max_bytes=ATTACHMENT_LIMIT,
            provider_id=po.provider_id,
            uploaded_by_id=author_id,
        )
        message.document_revision_id = revision.id
    session.add(message)
    session.flush()
    return message


def message_changes(message: POIssueMessage, **more: list) -> dict:
    found = {"message": [None, excerpt(message.body)]}
    if message.document_revision_id:
        found["attachment"] = [None, str(message.document_revision_id)]
    return found | more


def record(session: Session, issue: POIssue, action: str, changes: dict) -> None:
    audit.record(
        session,
        tenant_id=issue.tenant_id,
        provider_id=issue.provider_id,
        action=f"order_issue.{action}",
        entity_type="order_issue",
        entity_id=issue.id,
        changes=changes,
    )


def refuse_repeat(session: Session, issue: POIssue, form_key: str | None) -> None:
    if form_key and q.message_with_key(session, issue, form_key) is not None:
        raise AlreadySent()


def reply(
    session: Session,
    po: PurchaseOrder,
    issue: POIssue,
    author_kind: str,
    user_id: uuid.UUID | None,
    data: dict[str, Any],
    upload: Upload | None,
    *,
    transition: str | None,
) -> POIssue:
    form_key = one_time_key(data.get("form_key"))
    refuse_repeat(session, issue, form_key)
    if not ORDER_ISSUE.in_group("unresolved", issue.status):
        raise Conflict(f"Issue {issue.number} on {po.number} is resolved; nothing was sent.")
    errors: dict[str, str] = {}
    body = text_field(
        errors,
        "message",
        data.get("message"),
        BODY_LIMIT,
        multiline=True,
        message="Write your reply.",
    )
    if errors:
        raise ValidationFailed(errors)
    shared = author_kind == "supplier_link" or (
        author_kind == "provider" and issue.routed_to == "supplier"
    )
    message = add_message(
        session,
        po,
        issue,
        author_kind=author_kind,
        author_id=user_id,
        body=body,
        upload=upload,
        shared_with_supplier=shared,
        form_key=form_key,
    )
    side = {"provider": PROVIDER, "client": CLIENT, "supplier_link": SUPPLIER}[author_kind]
    if transition and ORDER_ISSUE.allowed(transition, issue.status, side):
        ORDER_ISSUE.apply(
            session,
            issue,
            transition,
            side=side,
            changes=message_changes(message),
            event_payload={"message_id": str(message.id)},
        )
    else:
        issue.updated_at = utcnow()
        record(session, issue, "replied", message_changes(message))
    return issue
