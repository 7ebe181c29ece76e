"""Order issues: the buyer raises one on an order or a line, routes it to the
client for a decision or to the supplier through its link, the parties answer
in the thread, and the buyer resolves it.

Every status change goes through ``ORDER_ISSUE`` (it audits, publishes and
records whom the clock waits on). Input is checked before anything is written;
an attachment is stored as a document revision of the order's client, carrying
the order's provider, like the other files of an order. Each form carries a
one-time key: the same form sent twice changes nothing the second time.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.db import utcnow
from baton.platform.errors import Conflict, NotFound, ValidationFailed
from baton.platform.workflow import PROVIDER
from baton.procurement.orders import issue_messages as m
from baton.procurement.orders import issue_queries as q
from baton.procurement.orders.issue_messages import AlreadySent, Upload
from baton.procurement.orders.issue_models import CAUSE_LABELS, POIssue
from baton.procurement.orders.issue_states import ORDER_ISSUE
from baton.procurement.orders.models import PurchaseOrder
from baton.procurement.orders.queries import get_for_client, get_for_provider
from baton.procurement.orders.states import PURCHASE_ORDER

PARTY_LABELS = {"client": "the client", "supplier": "the supplier"}


def _line_no(errors: dict, po: PurchaseOrder, raw: Any) -> int | None:
    text = str(raw or "").strip()
    if not text:
        return None
    numbers = {line.line_no for line in po.lines}
    try:
        value = int(text)
    except ValueError:
        value = None
    if value not in numbers:
        errors["line_no"] = (
            f"Choose one of the order's lines ({', '.join(map(str, sorted(numbers)))}) or the whole order."
        )
        return None
    return value


# --- the buyer -------------------------------------------------------------------


def raise_issue(
    session: Session,
    provider_id: uuid.UUID,
    user_id: uuid.UUID | None,
    po_id: uuid.UUID,
    data: dict[str, Any],
    upload: Upload | None = None,
) -> POIssue:
    """A new issue on ``po_id`` (or one of its lines), with its first message."""
    # The lock numbers issues one at a time and serialises a double submit.
    po = get_for_provider(session, provider_id, po_id, lock=True)
    form_key = m.one_time_key(data.get("form_key"))
    if form_key and session.scalar(
        sa.select(POIssue.id).where(
            POIssue.tenant_id == po.tenant_id, POIssue.po_id == po.id, POIssue.form_key == form_key
        )
    ):
        raise AlreadySent()
    if po.submitted_at is None:
        raise Conflict(
            f"{po.number} is a draft the client has not seen; change the draft instead of raising an issue."
        )
    errors: dict[str, str] = {}
    cause = str(data.get("cause") or "").strip()
    if cause not in CAUSE_LABELS:
        errors["cause"] = (
            "Choose what the issue is: " + ", ".join(v.lower() for v in CAUSE_LABELS.values()) + "."
        )
    line_no = _line_no(errors, po, data.get("line_no"))
    title = m.text_field(
        errors,
        "title",
        data.get("title"),
        200,
        multiline=False,
        message="Give the issue a short title.",
    )
    body = m.text_field(
        errors,
        "message",
        data.get("message"),
        m.BODY_LIMIT,
        multiline=True,
        message="Describe the issue.",
    )
    if errors:
        raise ValidationFailed(errors)
    number = (
        session.scalar(
            sa.select(sa.func.max(POIssue.number)).where(
                POIssue.tenant_id == po.tenant_id, POIssue.po_id == po.id
            )
        )
        or 0
    ) + 1
    issue = POIssue(
        id=uuid.uuid4(),
        tenant_id=po.tenant_id,
        provider_id=po.provider_id,
        po_id=po.id,
        number=number,
        line_no=line_no,
        cause=cause,
        title=title,
        status="open",
        raised_by_id=user_id,
        form_key=form_key,
    )
    session.add(issue)
    session.flush()
    message = m.add_message(
        session,
        po,
        issue,
        author_kind="provider",
        author_id=user_id,
        body=body,
        upload=upload,
        shared_with_supplier=False,
        form_key=None,
    )
    m.record(
        session,
        issue,
        "raised",
        {
            "status": [None, "open"],
            "waiting_on": [None, ORDER_ISSUE.waits_on("open")],
            "po_id": [None, str(po.id)],
            "line_no": [None, line_no],
            "cause": [None, cause],
            "title": [None, title],
        }
        | m.message_changes(message),
    )
    return issue


def _provider_issue(
    session: Session, provider_id: uuid.UUID, issue_id: uuid.UUID
) -> tuple[POIssue, PurchaseOrder]:
    issue = q.get_for_provider(session, provider_id, issue_id, lock=True)
    return issue, get_for_provider(session, provider_id, issue.po_id)


def route(
    session: Session,
    provider_id: uuid.UUID,
    user_id: uuid.UUID | None,
    issue_id: uuid.UUID,
    data: dict[str, Any],
    upload: Upload | None = None,
) -> POIssue:
    """Hand the issue to the client for a decision or to the supplier, with what
    the buyer asks of them (the supplier is emailed its link)."""
    issue, po = _provider_issue(session, provider_id, issue_id)
    form_key = m.one_time_key(data.get("form_key"))
    m.refuse_repeat(session, issue, form_key)
    errors: dict[str, str] = {}
    to = str(data.get("to") or "").strip()
    if to not in PARTY_LABELS:
        errors["to"] = "Choose the client or the supplier."
    body = m.text_field(
        errors,
        "message",
        data.get("message"),
        m.BODY_LIMIT,
        multiline=True,
        message="Say what you ask of them.",
    )
    if errors:
        raise ValidationFailed(errors)
    action = f"route_to_{to}"
    ORDER_ISSUE.check(action, issue.status, PROVIDER)
    if to == "supplier" and (
        not PURCHASE_ORDER.in_group("supplier_visible", po.status)
        or po.status == "cancelled"
        or po.link_nonce is None
    ):
        raise ValidationFailed(
            {
                "to": f"The supplier has no live link to {po.number}; release it (or send a new link) first."
            }
        )
    message = m.add_message(
        session,
        po,
        issue,
        author_kind="provider",
        author_id=user_id,
        body=body,
        upload=upload,
        shared_with_supplier=to == "supplier",
        form_key=form_key,
    )
    before = issue.routed_to
    issue.routed_to = to
    ORDER_ISSUE.apply(
        session,
        issue,
        action,
        side=PROVIDER,
        changes=m.message_changes(message, routed_to=[before, to]),
        event_payload={"message_id": str(message.id)},
    )
    return issue


def reply_as_provider(
    session: Session,
    provider_id: uuid.UUID,
    user_id: uuid.UUID | None,
    issue_id: uuid.UUID,
    data: dict[str, Any],
    upload: Upload | None = None,
) -> POIssue:
    """A buyer's note in the thread; it goes to whoever the issue is with."""
    issue, po = _provider_issue(session, provider_id, issue_id)
    return m.reply(session, po, issue, "provider", user_id, data, upload, transition=None)


def resolve(
    session: Session,
    provider_id: uuid.UUID,
    user_id: uuid.UUID | None,
    issue_id: uuid.UUID,
    note: Any,
) -> POIssue:
    issue, _po = _provider_issue(session, provider_id, issue_id)
    ORDER_ISSUE.check("resolve", issue.status, PROVIDER)
    errors: dict[str, str] = {}
    note = m.text_field(
        errors, "note", note, 4000, multiline=True, message="Say how the issue was resolved."
    )
    if errors:
        raise ValidationFailed(errors)
    issue.resolution_note = note
    issue.resolved_by_id = user_id
    issue.resolved_at = utcnow()
    ORDER_ISSUE.apply(
        session, issue, "resolve", side=PROVIDER, changes={"resolution": [None, note]}
    )
    return issue


def reopen(session: Session, provider_id: uuid.UUID, issue_id: uuid.UUID, reason: Any) -> POIssue:
    issue, _po = _provider_issue(session, provider_id, issue_id)
    ORDER_ISSUE.check("reopen", issue.status, PROVIDER)
    errors: dict[str, str] = {}
    reason = m.text_field(
        errors, "reason", reason, 4000, multiline=True, message="Say why the issue is open again."
    )
    if errors:
        raise ValidationFailed(errors)
    before = issue.resolution_note
    issue.resolution_note, issue.resolved_at, issue.resolved_by_id = None, None, None
    ORDER_ISSUE.apply(
        session,
        issue,
        "reopen",
        side=PROVIDER,
        changes={"resolution": [before, None], "reason": [None, reason]},
    )
    return issue


# --- the other parties -----------------------------------------------------------


def reply_as_client(
    session: Session,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID | None,
    issue_id: uuid.UUID,
    data: dict[str, Any],
    upload: Upload | None = None,
) -> POIssue:
    """The client's answer: an issue waiting on the client goes back to the buyer."""
    issue = q.get_for_client(session, tenant_id, issue_id, lock=True)
    po = get_for_client(session, tenant_id, issue.po_id)
    if issue.routed_to != "client":
        raise Conflict("The buyer has not asked you about this issue; nothing was sent.")
    return m.reply(session, po, issue, "client", user_id, data, upload, transition="client_answer")


def reply_as_supplier(
    session: Session,
    po: PurchaseOrder,
    issue_id: Any,
    data: dict[str, Any],
    upload: Upload | None = None,
) -> POIssue:
    """The supplier's answer through its link (``po`` came from ``links.open_link``):
    only an issue of that order routed to the supplier is reachable."""
    try:
        wanted = uuid.UUID(str(issue_id or "").strip())
    except ValueError:
        raise NotFound("No such order issue.") from None
    issue = q.get_on_order(session, po, wanted, lock=True)
    if issue.routed_to != "supplier":
        raise NotFound("No such order issue.")
    return m.reply(
        session, po, issue, "supplier_link", None, data, upload, transition="supplier_answer"
    )
