"""Transactional outbox: side effects are written as rows in the business
transaction and carried out only after it commits (DESIGN.md section 5).

A row moves ``pending -> enqueued -> done`` (or ``failed`` once its attempts
are used up). The row, not Redis, is the record of what still has to happen:
a relay turns pending rows into RQ jobs and re-enqueues rows whose job was
lost, so Redis may restart empty without losing work.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from baton.platform.db import Base, utcnow
from baton.platform.workflow import Machine, Transition

PENDING, ENQUEUED, DONE, FAILED = "pending", "enqueued", "done", "failed"

# Plumbing, not business: checked, not audited (a retry by a person is, in job_failures).
OUTBOX = Machine(
    "outbox_message",
    labels={PENDING: "Waiting", ENQUEUED: "Queued", DONE: "Done", FAILED: "Failed"},
    transitions=[
        Transition("enqueue", (PENDING, ENQUEUED), ENQUEUED),
        Transition("finish", (PENDING, ENQUEUED), DONE),
        Transition("fail", (PENDING, ENQUEUED), FAILED),
        # Another attempt later (embedded mode), or a job lost from Redis.
        Transition("wait", (PENDING, ENQUEUED), PENDING),
        Transition("retry", (FAILED,), PENDING, verb="retried"),
    ],
    groups={"unsent": (PENDING, ENQUEUED), "finished": (DONE, FAILED)},
    audited=False,
)
UNSENT = OUTBOX.group("unsent")


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
    # The provider whose work this is (a PO mail in a client's tenant), so the
    # provider's admins see its failures too.
    provider_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
    job: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(16), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    # Not before this time (delayed jobs, and retries in the embedded mode).
    available_at: Mapped[datetime | None]
    enqueued_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # Emitting twice with the same key makes one row (scheduled runs, retried requests).
    dedup_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    # What the job is about, so a failure can be shown next to the object.
    entity_type: Mapped[str | None] = mapped_column(sa.String(64))
    entity_id: Mapped[str | None] = mapped_column(sa.String(64))
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)


# Ledger states of one Message-ID; see baton.platform.mail for the protocol.
MAIL_CLAIMED, MAIL_HANDED_OVER, MAIL_SENT, MAIL_UNCONFIRMED = (
    "claimed",
    "handed_over",
    "sent",
    "unconfirmed",
)


class SentMail(Base):
    """One row per logical message (its Message-ID). A retried job finds it and
    does not send again; the states say how far an interrupted attempt got."""

    __tablename__ = "sent_mail"

    message_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    outbox_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
    recipients: Mapped[str] = mapped_column(sa.Text)
    subject: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(sa.String(16), default=MAIL_CLAIMED)
    # Fencing token of the attempt that owns the claim.
    attempt: Mapped[str] = mapped_column(sa.String(32))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    handed_over_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


def _snake(name: str) -> str:
    """``PurchaseOrder`` -> ``purchase_order``: the entity name audit events use."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def emit(
    session: Session,
    job: str,
    payload: dict[str, Any],
    tenant_id: uuid.UUID | None = None,
    *,
    about: Any | None = None,
    provider_id: uuid.UUID | None = None,
    entity: tuple[str, Any] | None = None,
    requested_by_id: uuid.UUID | None = None,
    dedup_key: str | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Queue a job to run after the caller's transaction commits, never before.

    ``payload`` holds ids and plain values only (it is JSON). ``entity`` names
    the object the job is about (``("invitation", id)``) for the failed-jobs
    page; jobs may derive it from the payload instead. With ``dedup_key``, a
    second emit with the same key returns the first row instead of a new one.

    ``about``: the row the job is about (a requirement, a PO); its tenant and
    provider become the job's, so the job runs in their context and a
    provider's admins see its failure, and it names the entity.
    """
    if about is not None:
        tenant_id = tenant_id or about.tenant_id
        provider_id = provider_id or getattr(about, "provider_id", None)
        if entity is None:
            entity = (_snake(type(about).__name__), about.id)
    from baton.platform.areas import load_jobs
    from baton.platform.jobs import registry

    load_jobs()  # a fresh web process has not loaded the jobs yet

    spec = registry.get(job)
    if spec is None:
        raise KeyError(f"unknown job {job!r}")
    if dedup_key is not None:
        existing = session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.dedup_key == dedup_key)
        )
        if existing is not None:
            return existing
    if entity is None and spec.entity is not None:
        entity = spec.entity(payload)
    message = OutboxMessage(
        id=uuid.uuid4(),
        created_at=utcnow(),
        tenant_id=tenant_id,
        provider_id=provider_id,
        job=job,
        payload=payload,
        status=PENDING,
        attempts=0,
        dedup_key=dedup_key,
        available_at=not_before,
        entity_type=entity[0] if entity else None,
        entity_id=str(entity[1]) if entity else None,
        requested_by_id=requested_by_id,
    )
    if dedup_key is None:
        session.add(message)
    else:
        # A concurrent emit of the same key may commit first: the savepoint lets
        # this transaction carry on with that row instead of failing.
        try:
            with session.begin_nested():
                session.add(message)
                session.flush([message])
        except sa.exc.IntegrityError:
            return session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.dedup_key == dedup_key)
            ).one()
    session.info.setdefault("outbox_ids", []).append(message.id)
    return message
