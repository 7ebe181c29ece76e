"""Transactional outbox: side effects are written as rows in the business
transaction and carried out only after it commits (DESIGN.md section 5)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from baton.platform.db import Base, utcnow

PENDING, ENQUEUED, DONE, FAILED = "pending", "enqueued", "done", "failed"


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
    job: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(16), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    enqueued_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # What the job is about, so a failure can be shown next to the object.
    entity_type: Mapped[str | None] = mapped_column(sa.String(64))
    entity_id: Mapped[str | None] = mapped_column(sa.String(64))
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)


class SentMail(Base):
    """One row per delivered Message-ID: a retried job finds it and does not
    send again."""

    __tablename__ = "sent_mail"

    message_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    outbox_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
    recipients: Mapped[str] = mapped_column(sa.Text)
    subject: Mapped[str] = mapped_column(sa.String(300))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


def emit(
    session: Session, job: str, payload: dict[str, Any], tenant_id: uuid.UUID | None = None
) -> OutboxMessage:
    """Queue a job to run after the caller's transaction commits, never before."""
    from baton.platform.jobs import registry

    if job not in registry:
        raise KeyError(f"unknown job {job!r}")
    message = OutboxMessage(id=uuid.uuid4(), tenant_id=tenant_id, job=job, payload=payload)
    session.add(message)
    session.info.setdefault("outbox_ids", []).append(message.id)
    return message
