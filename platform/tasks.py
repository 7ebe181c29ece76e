"""Long-running work a user started (imports, exports): progress they can watch.

How a feature uses it (the supplier CSV import, say)::

    # the service, in the request's transaction
    task = tasks.start_task(
        session, kind="supplier_import", label=f"Import {filename}",
        job="suppliers.import_csv", payload={"document_id": str(doc.id)},
        tenant_id=org.id, created_by_id=user.id, total=row_count,
    )
    # the view redirects to url_for("jobs.task", task_id=task.id), or includes
    # "jobs/_task_progress.html" with ``task`` on its own page.

    # the job
    @tasks.task_job("suppliers.import_csv", label="Supplier import")
    def import_csv(session, payload, progress):
        rows = load_rows(payload["document_id"])
        progress.set_total(len(rows))
        for number, row in enumerate(rows, start=1):
            if number <= progress.done:      # committed by an earlier attempt
                continue
            try:
                upsert_supplier(session, row)
            except ValidationFailed as exc:
                progress.error(number, str(exc))
            progress.advance(session)        # commits every ``batch`` rows
        return {"created": ..., "updated": ...}   # shown when finished

The body gets its own session in the tenant's context and commits the work
with its progress at each checkpoint, so the page shows rows done as they
commit and a retry after a crash resumes after the last checkpoint.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from baton.platform.db import Base, IdMixin, ProviderOwned, db, utcnow
from baton.platform.errors import NotFound
from baton.platform.tenancy import SERVICE_CONTEXT, TenantContext

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
FINISHED = (SUCCEEDED, FAILED)
MAX_ERRORS = 500


class BackgroundTask(IdMixin, ProviderOwned, Base):
    __tablename__ = "background_tasks"

    kind: Mapped[str] = mapped_column(sa.String(64))
    label: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(16), default=QUEUED)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    # [{"row": 12, "message": "..."}] for row problems; {"message": ...} for the job's own failure.
    errors: Mapped[list] = mapped_column(sa.JSON, default=list)
    result: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def percent(self) -> int:
        if self.status == SUCCEEDED:
            return 100
        return min(100, int(self.done * 100 / self.total)) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def as_json(self) -> dict[str, Any]:
        """What the polling page reads; errors only once the task has finished."""
        body = {
            "id": str(self.id),
            "kind": self.kind,
            "label": self.label,
            "status": self.status,
            "percent": self.percent,
            "done": self.done,
            "total": self.total,
            "finished": self.finished,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "retrying": self.result.get("retrying") if self.status != SUCCEEDED else None,
        }
        if self.finished:
            body["errors"] = self.errors
            body["result"] = {k: v for k, v in self.result.items() if k != "retrying"}
        return body


def start_task(
    session: Session,
    *,
    kind: str,
    label: str,
    job: str,
    payload: dict[str, Any],
    tenant_id: uuid.UUID,
    provider_id: uuid.UUID | None = None,
    created_by_id: uuid.UUID | None = None,
    total: int = 0,
) -> BackgroundTask:
    """Create the task and emit its job in the caller's transaction."""
    from baton.platform.outbox import emit

    task = BackgroundTask(
        id=uuid.uuid4(),
        created_at=utcnow(),
        tenant_id=tenant_id,
        provider_id=provider_id,
        kind=kind,
        label=label[:200],
        status=QUEUED,
        total=total,
        done=0,
        errors=[],
        result={},
        created_by_id=created_by_id,
    )
    session.add(task)
    emit(
        session,
        job,
        payload | {"task_id": str(task.id)},
        tenant_id=tenant_id,
        provider_id=provider_id,
        entity=("background_task", task.id),
        requested_by_id=created_by_id,
    )
    return task


def get_task(session: Session, task_id: uuid.UUID) -> BackgroundTask:
    """A task the session's context may see; anything else is not found."""
    task = session.scalar(sa.select(BackgroundTask).where(BackgroundTask.id == task_id))
    if task is None:
        raise NotFound("task")
    return task


class Progress:
    """Progress of one running task, committed with the work at checkpoints."""

    def __init__(self, task: BackgroundTask, batch: int = 100, every: float = 1.0) -> None:
        self.task = task
        self.batch = batch
        self.every = every
        self._since = 0
        self._last = time.monotonic()

    @property
    def done(self) -> int:
        return self.task.done

    def set_total(self, total: int) -> None:
        self.task.total = total

    def error(self, row: int | None, message: str) -> None:
        """A problem with one row; the task goes on and lists it when finished."""
        if len(self.task.errors) < MAX_ERRORS:
            self.task.errors = [*self.task.errors, {"row": row, "message": message[:500]}]

    def advance(self, session: Session, rows: int = 1) -> None:
        self.task.done += rows
        self._since += rows
        if self._since >= self.batch or time.monotonic() - self._last >= self.every:
            self.checkpoint(session)

    def checkpoint(self, session: Session) -> None:
        """Commit the work so far together with the count of rows it covers."""
        session.commit()
        self._since = 0
        self._last = time.monotonic()


def _task_context(task: BackgroundTask) -> TenantContext:
    """The body acts for the task's tenant (and provider), as its user did."""
    from baton.tenants import services
    from baton.tenants.models import Organisation

    session = db.new_service_session(SERVICE_CONTEXT)
    try:
        org = session.get(Organisation, task.provider_id or task.tenant_id)
        return services.context_for(session, org, task.created_by_id)
    finally:
        session.close()


def _mark_failed(session: Session, payload: dict, error: str, final: bool) -> None:
    task = session.get(BackgroundTask, uuid.UUID(payload["task_id"]))
    if task is None or task.status == SUCCEEDED:
        return
    if final:
        task.status = FAILED
        task.finished_at = utcnow()
        task.errors = [*task.errors, {"row": None, "message": error}]
        task.result = {k: v for k, v in task.result.items() if k != "retrying"}
    else:
        task.status = QUEUED
        task.result = task.result | {"retrying": error}


def task_job(
    name: str,
    queue: str = "low",
    max_retries: int = 3,
    timeout: int = 3600,
    *,
    label: str | None = None,
    batch: int = 100,
):
    """Register a job body ``(session, payload, progress) -> result dict | None``.

    The task is marked running when the body starts, succeeded with its result
    when it returns, and failed with the error (on the task's page) when the
    job's last attempt fails.
    """
    from baton.platform.jobs import job

    def decorate(func: Callable[[Session, dict, Progress], dict | None]):
        def run(_outbox_session: Session, payload: dict) -> None:
            task_id = uuid.UUID(payload["task_id"])
            service = db.new_service_session(SERVICE_CONTEXT)
            try:
                task = service.get(BackgroundTask, task_id)
                if task is None or task.status in FINISHED:
                    return
                ctx = _task_context(task)
            finally:
                service.close()
            session = db.new_session(ctx)
            try:
                task = session.get(BackgroundTask, task_id)
                task.status = RUNNING
                task.started_at = task.started_at or utcnow()
                session.commit()
                progress = Progress(task, batch=batch)
                result = func(session, payload, progress)
                task.status = SUCCEEDED
                task.finished_at = utcnow()
                task.result = {k: v for k, v in (result or {}).items()}
                if task.total < task.done:
                    task.total = task.done
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

        run.__name__ = func.__name__
        run.__doc__ = func.__doc__
        job(
            name,
            queue=queue,
            max_retries=max_retries,
            timeout=timeout,
            label=label,
            entity=lambda p: ("background_task", p["task_id"]),
            on_failure=_mark_failed,
        )(run)
        return func

    return decorate
