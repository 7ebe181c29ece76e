"""Job registry and the one code path that runs an outbox row.

Adding a job is a decorated function taking ``(session, payload)``; it runs
in the tenant context of the row's ``tenant_id`` and must be idempotent, since
a retry after a crash runs it again.
"""

from __future__ import annotations

import traceback
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

import sqlalchemy as sa
import structlog
from flask import current_app, has_request_context
from sqlalchemy.orm import Session

from baton.platform.db import db, utcnow
from baton.platform.outbox import DONE, ENQUEUED, FAILED, PENDING, OutboxMessage
from baton.platform.tenancy import SERVICE_CONTEXT

log = structlog.get_logger("baton.jobs")


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable[[Session, dict], None]
    queue: str
    max_retries: int
    timeout: int


registry: dict[str, JobSpec] = {}


def job(name: str, queue: str = "default", max_retries: int = 5, timeout: int = 120):
    def decorate(func: Callable[[Session, dict], None]):
        registry[name] = JobSpec(name, func, queue, max_retries, timeout)
        return func

    return decorate


def run_outbox_message(outbox_id: str) -> str:
    """Entry point of every job, in-process or in an RQ worker.

    Runs the body in the service session; the body sets the tenant context it
    acts for. A row already done is skipped, so a duplicate delivery is a no-op.
    """
    import baton.workers.registry  # noqa: F401  (registers every job)

    oid = uuid.UUID(str(outbox_id))
    session = db.new_service_session(SERVICE_CONTEXT)
    try:
        message = session.get(OutboxMessage, oid, with_for_update=True)
        if message is None or message.status == DONE:
            session.rollback()
            return "skipped"
        spec = registry[message.job]
        message.attempts += 1
        try:
            with session.begin_nested(), _url_context():
                spec.func(session, dict(message.payload) | {"_outbox_id": str(oid)})
        except Exception as exc:
            message.last_error = "".join(traceback.format_exception_only(exc)).strip()[:4000]
            if message.attempts >= spec.max_retries:
                message.status = FAILED
                message.finished_at = utcnow()
            session.commit()
            log.warning(
                "job_failed",
                job=message.job,
                outbox_id=str(oid),
                tenant_id=str(message.tenant_id),
                error=message.last_error,
            )
            raise
        message.status = DONE
        message.finished_at = utcnow()
        message.last_error = None
        session.commit()
        log.info("job_done", job=message.job, outbox_id=str(oid), tenant_id=str(message.tenant_id))
        return "done"
    finally:
        session.close()


def _url_context():
    """Jobs build absolute links; outside a request they use BATON_PUBLIC_URL."""
    if has_request_context():
        return nullcontext()
    settings = current_app.config["BATON_SETTINGS"]
    return current_app.test_request_context(base_url=settings.public_url)


def claim_pending(session: Session, limit: int = 100) -> list[OutboxMessage]:
    stmt = (
        sa.select(OutboxMessage)
        .where(OutboxMessage.status == PENDING)
        .order_by(OutboxMessage.created_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def drain_inline(ids: list[uuid.UUID] | None = None) -> int:
    """Embedded mode: run pending rows in this process, right after commit."""
    session = db.new_service_session(SERVICE_CONTEXT)
    try:
        stmt = sa.select(OutboxMessage.id).where(OutboxMessage.status == PENDING)
        if ids:
            stmt = stmt.where(OutboxMessage.id.in_(ids))
        pending = list(session.scalars(stmt.order_by(OutboxMessage.created_at)))
    finally:
        session.close()
    ran = 0
    for oid in pending:
        try:
            run_outbox_message(str(oid))
        except Exception:  # noqa: S112 - failure is recorded on the row; keep draining
            continue
        ran += 1
    return ran


def mark_enqueued(session: Session, message: OutboxMessage) -> None:
    message.status = ENQUEUED
    message.enqueued_at = utcnow()


__all__ = ["job", "registry", "run_outbox_message", "drain_inline", "claim_pending", "FAILED"]
