"""Job registry and the one code path that runs an outbox row.

Adding a job is a decorated function taking ``(session, payload)``::

    @job("purchasing.send_po", queue="high", label="Send purchase order",
         entity=lambda p: ("purchase_order", p["po_id"]))
    def send_po(session, payload): ...

and ``outbox.emit(session, "purchasing.send_po", {"po_id": ...}, about=po)``
in the business transaction. The body runs in the tenant context of its row
under the app role (``job_sessions``; ``cross_tenant=True`` for the few jobs
that need the service role) and must be idempotent: a retry after a crash
runs it again. The same function runs a row in an RQ worker and, in the
embedded mode, in the web process right after the commit.
"""

from __future__ import annotations

import os
import time
import traceback
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
import structlog
from flask import current_app, has_request_context
from sqlalchemy.orm import Session

from baton.platform.areas import load_jobs
from baton.platform.db import db, utcnow
from baton.platform.job_sessions import payload_context, tenant_body
from baton.platform.outbox import DONE, FAILED, OUTBOX, PENDING, OutboxMessage
from baton.platform.request_context import Actor, acting_as
from baton.platform.tenancy import SERVICE_CONTEXT

log = structlog.get_logger("baton.jobs")

# Seconds between attempts; the last value repeats. BATON_JOB_RETRY_INTERVALS
# ("1,1,2") shortens them for tests and development.
DEFAULT_RETRY_INTERVALS = (10, 30, 120, 600, 1800)


# app.extensions key of the function that relays committed rows to RQ at once.
RELAY_HOOK = "baton.relay_after_commit"
# session.info key of the steps a job body leaves for after its commit.
AFTER_COMMIT = "baton.job_after_commit"


class PermanentJobError(Exception):
    """Retrying cannot help (a recipient the server refuses): fail the row now."""


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable[[Session, dict], Any]
    queue: str
    max_retries: int
    timeout: int
    label: str
    entity: Callable[[dict], tuple[str, Any]] | None = None
    # Called in its own transaction after every failed attempt, with ``final``
    # telling whether the row is now failed (tasks show it to their user).
    on_failure: Callable[[Session, dict, str, bool], None] | None = None
    # Acts across tenants (audit verification, roll-ups): runs as the service
    # role. Every other job runs in its row's tenant context (job_sessions).
    cross_tenant: bool = False


registry: dict[str, JobSpec] = {}


def job(
    name: str,
    queue: str = "default",
    max_retries: int = 5,
    timeout: int = 120,
    *,
    label: str | None = None,
    entity: Callable[[dict], tuple[str, Any]] | None = None,
    on_failure: Callable[[Session, dict, str, bool], None] | None = None,
    cross_tenant: bool = False,
):
    """Register a job. ``max_retries`` counts attempts in all (first one included)."""
    if queue not in ("high", "default", "low"):
        raise ValueError(f"queue {queue!r}: use high, default or low")

    def decorate(func: Callable[[Session, dict], Any]):
        registry[name] = JobSpec(
            name=name,
            func=func,
            queue=queue,
            max_retries=max(1, max_retries),
            timeout=timeout,
            label=label or name,
            entity=entity,
            on_failure=on_failure,
            cross_tenant=cross_tenant,
        )
        return func

    return decorate


def after_commit(session: Session, step: Callable[[], Any]) -> None:
    """Run ``step`` in this attempt once the job body's transaction has committed.

    For a side effect that must not hold the body's transaction open, such as
    an email whose ledger writes on a connection of its own (on SQLite it
    would wait for the body's uncommitted writes). The step gets no session:
    it takes what it needs from the body as plain values. If it raises, the
    attempt fails and is retried like any other: the body runs again, finds
    its committed work and leaves the step again.
    """
    session.info.setdefault(AFTER_COMMIT, []).append(step)


def retry_intervals() -> list[int]:
    raw = os.environ.get("BATON_JOB_RETRY_INTERVALS", "").strip()
    if raw:
        return [max(0, int(part)) for part in raw.split(",") if part.strip()]
    return list(DEFAULT_RETRY_INTERVALS)


def retry_delay(attempt: int) -> int:
    """Wait before attempt ``attempt + 1``, after ``attempt`` failed ones."""
    intervals = retry_intervals()
    return intervals[min(max(attempt - 1, 0), len(intervals) - 1)]


def _error_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(exc)).strip()[:4000]


def run_outbox_message(outbox_id: str) -> str:
    """Run one outbox row: the entry point of every job, in-process or in RQ.

    The row is locked for the whole attempt (``FOR UPDATE``) in the runner's
    own session, so two deliveries of the same row run one after the other
    and the second finds it done. The body runs in a session of its own, in
    the row's tenant context under the app role (``job_sessions``), and
    commits before the row is marked done: a crash between the two runs the
    (idempotent) body again, never loses it. A body that raises is retried until ``max_retries`` attempts are
    used up; then the row is ``failed`` with the error, for people to see.
    Returns the outcome: done, skipped, retrying or failed. Raises on a
    failed attempt that will be retried, so RQ's ``Retry`` schedules it.
    """
    load_jobs()

    oid = uuid.UUID(str(outbox_id))
    started = time.perf_counter()
    session = db.new_service_session(SERVICE_CONTEXT)
    try:
        message = session.get(OutboxMessage, oid, with_for_update=True)
        if message is None or message.status in (DONE, FAILED):
            session.rollback()
            log.info("job_skipped", outbox_id=str(oid), outcome="skipped")
            return "skipped"
        sqlite = session.get_bind().dialect.name == "sqlite"
        spec = registry.get(message.job)
        fields = {
            "job": message.job,
            "outbox_id": str(oid),
            "tenant_id": str(message.tenant_id) if message.tenant_id else None,
            "attempt": message.attempts + 1,
        }
        payload = dict(message.payload) | {
            "_outbox_id": str(oid),
            "_tenant_id": str(message.tenant_id) if message.tenant_id else None,
            "_provider_id": str(message.provider_id) if message.provider_id else None,
            "_requested_by_id": str(message.requested_by_id) if message.requested_by_id else None,
        }
        try:
            if spec is None:
                raise PermanentJobError(f"no job named {message.job!r} is registered")
            with (
                structlog.contextvars.bound_contextvars(**fields),
                acting_as(Actor("system", None, f"Baton ({spec.label})")),
                _url_context(),
            ):
                outbox_ids = _run_body(session, spec, payload, sqlite)
        except Exception as exc:
            return _record_failure(session, oid, spec, payload, exc, fields, started)
        if sqlite:
            message = session.get(OutboxMessage, oid, populate_existing=True)
        message.attempts += 1
        OUTBOX.move(message, "finish")
        message.finished_at = utcnow()
        message.last_error = None
        session.commit()
        log.info("job_done", outcome="done", ms=_ms(started), **fields)
        if outbox_ids:
            dispatch(outbox_ids)
        return "done"
    finally:
        session.close()


def _run_body(control: Session, spec: JobSpec, payload: dict, sqlite: bool) -> list:
    """Run the body; returns the outbox rows it emitted (committed with its work)."""
    if spec.cross_tenant:
        with control.begin_nested():
            spec.func(control, payload)
        if control.info.pop(AFTER_COMMIT, None):
            # The runner's own transaction commits only when the row is done.
            raise RuntimeError(f"{spec.name}: after_commit is for jobs in a tenant's context")
        return control.info.pop("outbox_ids", [])
    ctx = payload_context(control, payload)
    if sqlite:
        # One writer at a time: end the runner's read before the body writes,
        # or its stale snapshot could not mark the row done afterwards.
        control.commit()
    with tenant_body(spec.name, ctx) as body:
        spec.func(body, payload)
        outbox_ids = body.info.pop("outbox_ids", [])
        steps = body.info.pop(AFTER_COMMIT, [])
    for step in steps:
        step()
    return outbox_ids


def _record_failure(session, oid, spec, payload, exc, fields, started) -> str:
    error = _error_text(exc)
    try:
        outcome = _mark_attempt_failed(
            session, oid, spec, error, isinstance(exc, PermanentJobError)
        )
    except Exception:
        session.rollback()
        try:
            outcome = _mark_attempt_failed(
                session, oid, spec, error, isinstance(exc, PermanentJobError)
            )
        except Exception as record_exc:
            # The database itself is unreachable (a restart): RQ retries the attempt later.
            session.rollback()
            log.warning("job_failed", outcome="retrying", error=error, ms=_ms(started), **fields)
            raise exc from record_exc
    if outcome is None:  # finished meanwhile by another delivery
        return "skipped"
    final, attempts = outcome
    if spec is not None and spec.on_failure is not None:
        _call_on_failure(spec, payload, error, final)
    log.warning(
        "job_failed",
        outcome="failed" if final else "retrying",
        error=error,
        attempts=attempts,
        ms=_ms(started),
        **fields,
    )
    if final:
        return "failed"
    if _has_queue():
        raise exc
    return "retrying"


def _mark_attempt_failed(
    session: Session, oid: uuid.UUID, spec: JobSpec | None, error: str, permanent: bool
) -> tuple[bool, int] | None:
    """Count the attempt and keep the error; the row fails when attempts run out."""
    message = session.get(OutboxMessage, oid, with_for_update=True)
    if message is None or message.status in (DONE, FAILED):
        session.rollback()
        return None
    message.attempts += 1
    message.last_error = error
    final = permanent or spec is None or message.attempts >= spec.max_retries
    if final:
        OUTBOX.move(message, "fail")
        message.finished_at = utcnow()
    elif not _has_queue():
        # Embedded mode: no RQ to schedule the retry; the row waits instead.
        OUTBOX.move(message, "wait")
        message.available_at = utcnow() + timedelta(seconds=retry_delay(message.attempts))
    attempts = message.attempts
    session.commit()
    return final, attempts


def _call_on_failure(spec: JobSpec, payload: dict, error: str, final: bool) -> None:
    """The job's failure hook, in the same context as its body."""
    try:
        if spec.cross_tenant:
            with db.unit_of_work(SERVICE_CONTEXT) as session:
                spec.on_failure(session, payload, error, final)
            return
        control = db.new_service_session(SERVICE_CONTEXT)
        try:
            ctx = payload_context(control, payload)
        finally:
            control.close()
        with tenant_body(spec.name, ctx) as session:
            spec.on_failure(session, payload, error, final)
    except Exception as exc:
        log.error("job_on_failure_failed", job=spec.name, error=_error_text(exc))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _has_queue() -> bool:
    return bool(current_app.config["BATON_SETTINGS"].redis_url)


def _url_context():
    """Jobs build absolute links; outside a request they use BATON_PUBLIC_URL."""
    if has_request_context():
        return nullcontext()
    settings = current_app.config["BATON_SETTINGS"]
    return current_app.test_request_context(base_url=settings.public_url)


def claim_pending(
    session: Session, limit: int = 100, ids: list[uuid.UUID] | None = None
) -> list[OutboxMessage]:
    """Pending rows that are due, locked so no other relay takes them."""
    now = utcnow()
    stmt = (
        sa.select(OutboxMessage)
        .where(
            OutboxMessage.status == PENDING,
            sa.or_(OutboxMessage.available_at.is_(None), OutboxMessage.available_at <= now),
        )
        .order_by(OutboxMessage.created_at)
        .limit(limit)
    )
    if ids:
        stmt = stmt.where(OutboxMessage.id.in_(ids))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def drain_inline(ids: list[uuid.UUID] | None = None, retries_only: bool = False) -> int:
    """Embedded mode: run due pending rows in this process (the given ones, or all;
    ``retries_only``: those waiting for another attempt)."""
    session = db.new_service_session(SERVICE_CONTEXT)
    try:
        now = utcnow()
        stmt = sa.select(OutboxMessage.id).where(
            OutboxMessage.status == PENDING,
            sa.or_(OutboxMessage.available_at.is_(None), OutboxMessage.available_at <= now),
        )
        if ids:
            stmt = stmt.where(OutboxMessage.id.in_(ids))
        if retries_only:
            stmt = stmt.where(OutboxMessage.attempts > 0).limit(20)
        pending = list(session.scalars(stmt.order_by(OutboxMessage.created_at)))
    finally:
        session.close()
    ran = 0
    for oid in pending:
        try:
            run_outbox_message(str(oid))
        except Exception:  # noqa: S112 - the failure is recorded on the row; keep draining
            continue
        ran += 1
    return ran


def dispatch(outbox_ids: list[uuid.UUID]) -> None:
    """Hand committed rows to the runner: the relay with Redis, else this process.

    In the embedded mode BATON_INLINE_JOBS=0 leaves them to ``baton worker``
    (which runs the outbox without Redis), so a long import does not hold
    the page that started it.
    """
    if _has_queue():
        # Installed by the workers area; without it the relay loop takes them.
        relay_after_commit = current_app.extensions.get(RELAY_HOOK)
        if relay_after_commit is not None:
            relay_after_commit(outbox_ids)
    elif os.environ.get("BATON_INLINE_JOBS", "1").strip().lower() not in ("0", "false", "no"):
        drain_inline(outbox_ids)
        # Earlier failed attempts whose pause is over go along with them.
        drain_inline(retries_only=True)


def mark_enqueued(session: Session, message: OutboxMessage) -> None:
    OUTBOX.move(message, "enqueue")
    message.enqueued_at = utcnow()


__all__ = [
    "job",
    "after_commit",
    "registry",
    "run_outbox_message",
    "drain_inline",
    "dispatch",
    "claim_pending",
    "PermanentJobError",
    "retry_intervals",
]
