"""Notifications by email: one call in a service, one message per recipient.

Any feature notifies people in its own transaction::

    notify(
        session,
        key=f"handoff-returned:{requirement.id}:{review.id}",
        subject=f"{requirement.reference} was returned",
        lines=["North Procurement returned it with 2 reasons.", ...],
        action=("Open the requirement", url_for(..., _external=True)),
        user_ids=[requirement.created_by_id],
        tenant_id=requirement.tenant_id,
        entity=("requirement", requirement.id),
    )

The message goes out after the commit, exactly once per ``key`` and
recipient, through the ``platform.notify`` job (``urgent=True`` uses the
``high`` queue, for mail to suppliers). Give ``template`` (a pair
``email/<name>.txt`` / ``.html``) and ``context`` for a custom layout; the
context must be JSON (ids, strings, numbers), since it travels in the outbox.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from baton.platform import mail
from baton.platform.jobs import job
from baton.platform.outbox import OutboxMessage, emit

NOTIFY, NOTIFY_URGENT = "platform.notify", "platform.notify_urgent"


def notify(
    session: Session,
    *,
    key: str,
    subject: str,
    to: Iterable[str] = (),
    user_ids: Iterable[uuid.UUID] = (),
    lines: Iterable[str] = (),
    action: tuple[str, str] | None = None,
    template: str = "notification",
    context: dict[str, Any] | None = None,
    tenant_id: uuid.UUID | None = None,
    provider_id: uuid.UUID | None = None,
    entity: tuple[str, Any] | None = None,
    attachments: Iterable[dict[str, str]] = (),
    urgent: bool = False,
) -> OutboxMessage:
    """Emit a notification; ``attachments`` are ``{"document_revision_id": ...}``
    references resolved by a registered loader when the mail is sent."""
    recipients = sorted({address.strip() for address in to if address and address.strip()})
    users = sorted({str(u) for u in user_ids if u})
    if not recipients and not users:
        raise ValueError("a notification needs at least one recipient")
    payload = {
        "key": key,
        "subject": subject,
        "to": recipients,
        "user_ids": users,
        "template": template,
        "context": {
            "subject": subject,
            "lines": list(lines),
            "action": list(action) if action else None,
            **(context or {}),
        },
        "attachments": list(attachments),
    }
    if entity is not None:
        payload["entity"] = [entity[0], str(entity[1])]
    return emit(
        session,
        NOTIFY_URGENT if urgent else NOTIFY,
        payload,
        tenant_id=tenant_id,
        provider_id=provider_id,
        entity=entity,
        dedup_key=_dedup_key(key),
    )


def _dedup_key(key: str) -> str:
    import hashlib

    text = f"notify:{key}"
    return text if len(text) <= 200 else "notify:sha256:" + hashlib.sha256(key.encode()).hexdigest()


# Attachment loaders: kind -> function(session, reference dict) -> mail.Attachment.
# The document store registers one so a PO PDF travels by reference, not in the outbox.
attachment_loaders: dict[str, Any] = {}


def _recipients(session: Session, payload: dict) -> list[str]:
    from baton.platform.directory import directory

    addresses = set(payload.get("to") or [])
    ids = [uuid.UUID(u) for u in payload.get("user_ids") or []]
    addresses.update(directory().user_emails(session, ids))
    return sorted(addresses)


def _attachments(session: Session, payload: dict) -> list[mail.Attachment]:
    found = []
    for ref in payload.get("attachments") or []:
        loader = attachment_loaders.get(ref.get("kind", ""))
        if loader is None:
            raise ValueError(f"no attachment loader for {ref.get('kind')!r}")
        found.append(loader(session, ref))
    return found


def _send(session: Session, payload: dict) -> None:
    tenant = payload.get("_tenant_id")
    outbox_id = uuid.UUID(payload["_outbox_id"])
    attachments = _attachments(session, payload)
    for address in _recipients(session, payload):
        mail.send(
            mail.OutgoingMail(
                to=[address],
                subject=payload["subject"],
                template=payload.get("template") or "notification",
                context=payload.get("context") or {},
                key=f"{payload['key']}:{address.lower()}",
                attachments=attachments,
                tenant_id=uuid.UUID(tenant) if tenant else None,
                outbox_id=outbox_id,
            )
        )


def _entity(payload: dict):
    return tuple(payload["entity"]) if payload.get("entity") else None


@job(NOTIFY, queue="default", label="Notification email", entity=_entity)
def send_notification(session: Session, payload: dict) -> None:
    _send(session, payload)


@job(NOTIFY_URGENT, queue="high", label="Urgent notification email", entity=_entity)
def send_urgent_notification(session: Session, payload: dict) -> None:
    _send(session, payload)
