"""Outbox relay: committed rows become RQ jobs, each exactly once.

* Pending rows are claimed with ``FOR UPDATE SKIP LOCKED``, so two relays
  never take the same row, and each job's id is the outbox id with
  ``unique=True``, so a relay that crashes after enqueuing but before
  committing cannot make a second job: the next relay finds the job and only
  marks the row.
* Rows left ``enqueued`` are checked against Redis after a grace period
  (``recover_stale``): a job that vanished (Redis restarted without
  persistence) is enqueued again; a job whose worker died mid-run (its row is
  no longer locked by a running attempt) counts as a failed attempt and is
  enqueued again until its attempts are used up.

Runs inside every ``baton worker`` (a housekeeping thread), as ``baton relay``
on its own, and right after each web request that emitted something.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import uuid
from datetime import timedelta

import redis
import sqlalchemy as sa
import structlog
from flask import current_app
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from baton.platform.db import db, utcnow
from baton.platform.jobs import (
    JobSpec,
    _call_on_failure,
    claim_pending,
    mark_enqueued,
    registry,
    retry_intervals,
)
from baton.platform.outbox import ENQUEUED, FAILED, OutboxMessage
from baton.platform.queues import redis_connection
from baton.platform.tenancy import SERVICE_CONTEXT

log = structlog.get_logger("baton.relay")

JOB_FUNC = "baton.workers.tasks.run"
ACTIVE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.STARTED}
ACTIVE_TEXT = {s.value for s in ACTIVE}
# Finished jobs are kept briefly (the row is the record); failed ones a week for inspection.
RESULT_TTL = 300
FAILURE_TTL = 7 * 24 * 3600


def _settings():
    return current_app.config["BATON_SETTINGS"]


def stale_after() -> float:
    """Seconds a row may sit enqueued before the relay asks Redis about it."""
    return float(os.environ.get("BATON_RELAY_STALE_AFTER", "60"))


def _retry(spec: JobSpec) -> Retry:
    # RQ's count is only a ceiling: the row's attempts decide when to stop.
    return Retry(max=max(spec.max_retries, 1), interval=retry_intervals())


def enqueue_row(connection: redis.Redis, row: OutboxMessage) -> str:
    """Make the row's RQ job exist exactly once; returns what was done."""
    spec = registry.get(row.job)
    queue_name = spec.queue if spec else "default"
    queue = Queue(queue_name, connection=connection)
    job_id = str(row.id)
    for _ in range(3):
        try:
            queue.enqueue(
                JOB_FUNC,
                job_id,
                job_id=job_id,
                unique=True,
                retry=_retry(spec) if spec else Retry(max=1),
                job_timeout=spec.timeout if spec else 60,
                result_ttl=RESULT_TTL,
                failure_ttl=FAILURE_TTL,
                description=f"{row.job} {job_id}",
                meta={"tenant_id": str(row.tenant_id) if row.tenant_id else None, "job": row.job},
            )
            return "enqueued"
        except DuplicateJobError:
            try:
                existing = Job.fetch(job_id, connection=connection)
            except NoSuchJobError:
                continue  # it expired in between: enqueue afresh
            if existing.get_status(refresh=False) in ACTIVE:
                return "already_queued"
            # A finished or failed job of an earlier round (a retried row): replace it.
            existing.delete(remove_from_queue=True)
    raise RuntimeError(f"could not enqueue outbox row {job_id}")


def relay_once(limit: int = 500, ids: list[uuid.UUID] | None = None) -> int:
    """Enqueue due pending rows; commits every row whose job exists in Redis."""
    import baton.workers.registry  # noqa: F401

    connection = redis_connection(_settings().redis_url)
    session = db.new_service_session(SERVICE_CONTEXT)
    moved = 0
    try:
        rows = claim_pending(session, limit, ids)
        try:
            for row in rows:
                outcome = enqueue_row(connection, row)
                mark_enqueued(session, row)
                moved += 1
                log.info(
                    "outbox_" + outcome,
                    outbox_id=str(row.id),
                    job=row.job,
                    tenant_id=str(row.tenant_id) if row.tenant_id else None,
                )
        finally:
            # Rows enqueued before a Redis failure are committed as such; the
            # rest stay pending for the next pass.
            session.commit()
        return moved
    finally:
        session.close()


def recover_stale(limit: int = 500) -> int:
    """Re-enqueue enqueued rows whose job is gone or whose worker died."""
    import baton.workers.registry  # noqa: F401

    connection = redis_connection(_settings().redis_url)
    session = db.new_service_session(SERVICE_CONTEXT)
    cutoff = utcnow() - timedelta(seconds=stale_after())
    recovered = 0
    try:
        stmt = (
            sa.select(OutboxMessage)
            .where(OutboxMessage.status == ENQUEUED, OutboxMessage.enqueued_at < cutoff)
            .order_by(OutboxMessage.enqueued_at)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            # A row locked by a running attempt is skipped: its worker is alive.
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list(session.scalars(stmt))
        if not rows:
            session.rollback()
            return 0
        with connection.pipeline(transaction=False) as pipe:
            for row in rows:
                pipe.hmget(f"rq:job:{row.id}", "status", "started_at")
            states = pipe.execute()
        failed_now: list[tuple[JobSpec, dict, str]] = []
        for row, (status, started_at) in zip(rows, states, strict=True):
            status = status.decode() if status else None
            reason = _stale_reason(status, started_at)
            if reason is None:
                continue
            spec = registry.get(row.job)
            if reason != "vanished":
                # The attempt ended without the job recording it: count it.
                row.attempts += 1
                row.last_error = _REASONS[reason]
                if spec is None or row.attempts >= spec.max_retries:
                    row.status = FAILED
                    row.finished_at = utcnow()
                    if spec is not None and spec.on_failure is not None:
                        failed_now.append((spec, dict(row.payload), row.last_error))
                    log.warning(
                        "outbox_failed",
                        outbox_id=str(row.id),
                        job=row.job,
                        reason=reason,
                        outcome="failed",
                    )
                    continue
            _delete_job(connection, str(row.id))
            enqueue_row(connection, row)
            mark_enqueued(session, row)
            recovered += 1
            log.warning(
                "outbox_requeued",
                outbox_id=str(row.id),
                job=row.job,
                tenant_id=str(row.tenant_id) if row.tenant_id else None,
                reason=reason,
                attempts=row.attempts,
            )
        session.commit()
        for spec, payload, error in failed_now:
            _call_on_failure(spec, payload, error, True)
        return recovered
    finally:
        session.close()


def _delete_job(connection: redis.Redis, job_id: str) -> None:
    with contextlib.suppress(NoSuchJobError):
        Job.fetch(job_id, connection=connection).delete(remove_from_queue=True)


_REASONS = {
    "abandoned": "The worker stopped during the job (killed or crashed); it was tried again.",
    "given_up": "RQ gave the job up without the job recording an error.",
}


def _stale_reason(status: str | None, started_at: bytes | None) -> str | None:
    if status is None:
        return "vanished"
    if status in (JobStatus.QUEUED.value, JobStatus.SCHEDULED.value, JobStatus.DEFERRED.value):
        return None
    if status == JobStatus.STARTED.value:
        # Started, yet the row is not locked by a running attempt. Give the worker a
        # moment between taking the job and locking the row before calling it dead.
        if started_at:
            from rq.utils import utcparse

            age = (utcnow() - utcparse(started_at.decode())).total_seconds()
            if age < min(stale_after(), 10):
                return None
        return "abandoned"
    if status == JobStatus.FINISHED.value:
        return "vanished"  # it ran, yet the row is not done: run it again, it is idempotent
    return "given_up"  # failed, stopped or canceled


# --- after a request -------------------------------------------------------------

# Redis URL -> monotonic time before which requests do not try it again.
_redis_down_until: dict[str, float] = {}


def relay_after_commit(ids: list[uuid.UUID]) -> None:
    """Enqueue the rows a request just committed, for low latency.

    Never fails the request: with Redis down, the rows wait in the outbox for
    a relay, and for a few seconds requests do not try Redis again.
    """
    url = _settings().redis_url
    if time.monotonic() < _redis_down_until.get(url, 0.0):
        return
    try:
        relay_once(ids=ids)
    except (redis.exceptions.RedisError, OSError) as exc:
        _redis_down_until[url] = time.monotonic() + 5
        log.warning("relay_deferred", error=str(exc), rows=len(ids))
    except sa.exc.DBAPIError as exc:
        log.warning("relay_deferred", error=str(exc.orig or exc), rows=len(ids))


# --- the loop ----------------------------------------------------------------------


class RelayLoop:
    """Relay passes until stopped, riding out Redis and PostgreSQL outages."""

    def __init__(self, interval: float = 1.0, recover_every: float | None = None) -> None:
        self.interval = interval
        self.batch = int(os.environ.get("BATON_RELAY_BATCH") or 500)
        self.recover_every = recover_every or max(stale_after() / 4, 1.0)
        self.stop = threading.Event()
        self._last_recover = 0.0

    def tick(self) -> int:
        moved = relay_once(limit=self.batch)
        if time.monotonic() - self._last_recover >= self.recover_every:
            moved += recover_stale()
            self._last_recover = time.monotonic()
        return moved

    def run(self, extra=None) -> None:
        backoff = self.interval
        failing = False
        log.info("relay_started", pid=os.getpid(), interval=self.interval, batch=self.batch)
        while not self.stop.is_set():
            try:
                moved = self.tick()
                if extra is not None:
                    extra()
                if failing:
                    log.info("relay_recovered")
                failing, backoff = False, self.interval
                if moved >= self.batch:
                    continue  # a backlog: go on without sleeping
            except (redis.exceptions.RedisError, OSError, sa.exc.DBAPIError) as exc:
                failing = True
                log.warning(
                    "relay_unavailable",
                    error=str(getattr(exc, "orig", None) or exc)[:300],
                    component="redis"
                    if isinstance(exc, redis.exceptions.RedisError)
                    else "database",
                    retry_in=round(backoff, 1),
                )
                self.stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            except Exception as exc:  # a bug must not stop the relay for good
                log.exception("relay_error", error=str(exc)[:300])
            self.stop.wait(backoff)

    def install_signal_handlers(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop.set())
