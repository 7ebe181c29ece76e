"""Events and the emails they send: one path for every notification.

A domain area declares what each of its events sends, as data, in its
``notifications.py``::

    NOTIFICATIONS = [
        Notification(
            "requirement.returned",
            load=load_returned,            # (session, payload) -> context, or None
            recipients=sourcing_people,    # (session, context) -> addresses
            subject=lambda c: f"Returned by {c['provider']}: {c['reference']}",
            template="requirement_returned",   # email/<template>.txt and .html
            key=lambda c: f"requirement:{c['id']}:returned:{c['review_id']}",
        ),
    ]

and a service publishes the event in its own transaction (the workflow
machine does it for every transition that names an event)::

    publish(session, "requirement.returned", {"requirement_id": ..., "review_id": ...},
            about=requirement)

After the commit the ``platform.notify`` job renders each declared email and
sends it through the mail ledger, one message per recipient, exactly once
per key and address. ``notify`` is the same path for a message composed in
place (``platform.message``: subject, lines, an action link). Webhooks will
subscribe to the same events.

An area reacts to another area's event without importing it: its
notifications module lists ``SUBSCRIPTIONS = [Subscription("document.revised",
"procurement.spec_revised")]`` and ``publish`` queues that job with the
event's payload in the publisher's transaction (so the dependency rule holds:
the lower area names an event, the higher one subscribes).
"""

from __future__ import annotations

import hashlib
import importlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from baton.platform import mail
from baton.platform.jobs import job
from baton.platform.outbox import OutboxMessage, emit

NOTIFY, NOTIFY_URGENT = "platform.notify", "platform.notify_urgent"
MESSAGE = "platform.message"


@dataclass(frozen=True)
class Notification:
    event: str
    # Loads what the email shows (JSON-able values); None: nothing to send any more.
    load: Callable[[Session, dict], dict | None]
    recipients: Callable[[Session, dict], Iterable[str]]
    subject: Callable[[dict], str]
    template: str
    # What the email is about; with the address it makes the Message-ID.
    key: Callable[[dict], str]


@dataclass(frozen=True)
class Subscription:
    """Run ``job`` (an outbox job) with the payload of every ``event`` published."""

    event: str
    job: str


def _message_context(session: Session, payload: dict) -> dict:
    return dict(payload["message"])


def _message_recipients(session: Session, context: dict) -> list[str]:
    from baton.platform.directory import directory

    ids = [uuid.UUID(u) for u in context.get("user_ids") or []]
    return sorted(set(context.get("to") or []) | set(directory().user_emails(session, ids)))


PLATFORM_NOTIFICATIONS = [
    Notification(
        MESSAGE,
        load=_message_context,
        recipients=_message_recipients,
        subject=lambda c: c["subject"],
        template="notification",
        key=lambda c: c["key"],
    )
]


@cache
def notifications() -> dict[str, list[Notification]]:
    """Every declared notification by event: the platform's and each area's."""
    from baton.platform.areas import areas

    found: dict[str, list[Notification]] = {}
    declared = list(PLATFORM_NOTIFICATIONS)
    for area in areas():
        for module in area.notifications:
            declared += importlib.import_module(module).NOTIFICATIONS
    for n in declared:
        found.setdefault(n.event, []).append(n)
    return found


@cache
def subscriptions() -> dict[str, list[Subscription]]:
    """Every declared subscription by event, from the areas' notification modules."""
    from baton.platform.areas import areas

    found: dict[str, list[Subscription]] = {}
    for area in areas():
        for module in area.notifications:
            for sub in getattr(importlib.import_module(module), "SUBSCRIPTIONS", ()):
                found.setdefault(sub.event, []).append(sub)
    return found


def publish(
    session: Session,
    event: str,
    payload: dict[str, Any],
    *,
    about: Any | None = None,
    tenant_id: uuid.UUID | None = None,
    urgent: bool = False,
    dedup_key: str | None = None,
    attachments: Iterable[dict[str, str]] = (),
) -> OutboxMessage:
    """Queue ``event`` to be announced after the caller's transaction commits."""
    body = {"event": event, **payload, "attachments": list(attachments)}
    for sub in subscriptions().get(event, ()):
        emit(session, sub.job, {"event": event, **payload}, tenant_id=tenant_id, about=about)
    return emit(
        session,
        NOTIFY_URGENT if urgent else NOTIFY,
        body,
        tenant_id=tenant_id,
        about=about,
        dedup_key=dedup_key,
    )


def notify(
    session: Session,
    *,
    key: str,
    subject: str,
    to: Iterable[str] = (),
    user_ids: Iterable[uuid.UUID] = (),
    lines: Iterable[str] = (),
    action: tuple[str, str] | None = None,
    tenant_id: uuid.UUID | None = None,
    provider_id: uuid.UUID | None = None,
    entity: tuple[str, Any] | None = None,
    attachments: Iterable[dict[str, str]] = (),
    urgent: bool = False,
) -> OutboxMessage:
    """Announce a message composed in place, exactly once per ``key`` and recipient;
    ``attachments`` are ``{"kind": ..., ...}`` references resolved when it is sent."""
    recipients = sorted({address.strip() for address in to if address and address.strip()})
    users = sorted({str(u) for u in user_ids if u})
    if not recipients and not users:
        raise ValueError("a notification needs at least one recipient")
    body = {
        "event": MESSAGE,
        "message": {
            "key": key,
            "subject": subject,
            "to": recipients,
            "user_ids": users,
            "lines": list(lines),
            "action": list(action) if action else None,
        },
        "attachments": list(attachments),
    }
    if entity is not None:
        body["entity"] = [entity[0], str(entity[1])]
    return emit(
        session,
        NOTIFY_URGENT if urgent else NOTIFY,
        body,
        tenant_id=tenant_id,
        provider_id=provider_id,
        entity=entity,
        dedup_key=_dedup_key(key),
    )


def _dedup_key(key: str) -> str:
    text = f"notify:{key}"
    return text if len(text) <= 200 else "notify:sha256:" + hashlib.sha256(key.encode()).hexdigest()


# Attachment loaders: kind -> function(session, reference dict) -> mail.Attachment.
# The document store registers one so a PO PDF travels by reference, not in the outbox.
attachment_loaders: dict[str, Any] = {}


def _attachments(session: Session, payload: dict) -> list[mail.Attachment]:
    found = []
    for ref in payload.get("attachments") or []:
        loader = attachment_loaders.get(ref.get("kind", ""))
        if loader is None:
            raise ValueError(f"no attachment loader for {ref.get('kind')!r}")
        found.append(loader(session, ref))
    return found


def deliver(session: Session, payload: dict) -> int:
    """Send what every notification of the payload's event declares; returns the
    number of messages handed to the ledger (already-sent ones count, and are skipped)."""
    tenant = payload.get("_tenant_id")
    outbox_id = uuid.UUID(payload["_outbox_id"])
    attachments = _attachments(session, payload)
    sent = 0
    for n in notifications().get(payload["event"], []):
        context = n.load(session, payload)
        if context is None:
            continue
        subject, key = n.subject(context), n.key(context)
        # One message per person: nobody sees the others' addresses, and a bounce
        # for one address does not hold up the rest.
        for address in sorted(set(n.recipients(session, context))):
            mail.send(
                mail.OutgoingMail(
                    to=[address],
                    subject=subject,
                    template=n.template,
                    context=context | {"subject": subject},
                    key=f"{key}:{address.lower()}",
                    attachments=attachments,
                    tenant_id=uuid.UUID(tenant) if tenant else None,
                    outbox_id=outbox_id,
                )
            )
            sent += 1
    return sent


def _entity(payload: dict):
    return tuple(payload["entity"]) if payload.get("entity") else None


@job(NOTIFY, queue="default", label="Notification email", entity=_entity)
def send_notification(session: Session, payload: dict) -> None:
    deliver(session, payload)


@job(NOTIFY_URGENT, queue="high", label="Urgent notification email", entity=_entity)
def send_urgent_notification(session: Session, payload: dict) -> None:
    deliver(session, payload)
