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

Work that must land all or nothing (check the whole file, then write it in
one transaction) uses ``task_job(..., atomic=True)``: the body gets an
``AtomicProgress`` whose ``report(done, total, phase)`` is written in a short
transaction of its own, so the page moves while the work's transaction is
still open; the work and the final state commit together when the body
returns. A body that refuses its input calls ``progress.fail(errors)`` and
returns: the task ends failed with those errors instead of succeeded.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from baton.platform.db import Base, IdMixin, ProviderOwned, db, get_context, utcnow
from baton.platform.errors import NotFound
from baton.platform.tenancy import TenantContext
from baton.platform.workflow import Machine, Transition

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"

TASK = Machine(
    "background_task",
    labels={QUEUED: "Queued", RUNNING: "Running", SUCCEEDED: "Finished", FAILED: "Failed"},
    transitions=[
        # A retried attempt starts again from running.
        Transition("start", (QUEUED, RUNNING), RUNNING),
        Transition("succeed", (RUNNING,), SUCCEEDED),
        Transition("fail", (QUEUED, RUNNING), FAILED),
        # An attempt failed and another follows, or a person retries a failed task.
        Transition("requeue", (QUEUED, RUNNING, FAILED), QUEUED),
    ],
    groups={"finished": (SUCCEEDED, FAILED)},
    audited=False,
)
FINISHED = TASK.group("finished")
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
    result: dict[str, Any] | None = None,
) -> BackgroundTask:
    """Create the task and emit its job in the caller's transaction.

    ``result`` is what the page shows before the job starts (a phase, say);
    the job's own result is merged into it when it finishes.
    """
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
        result=dict(result or {}),
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


def _started_by(org_id: uuid.UUID, org_kind: str):
    """A provider sees the tasks carrying its provider_id, never a client's own
    tasks (say its supplier import), though both share the tenant; a client
    sees every task in its tenant."""
    if org_kind == "provider":
        return BackgroundTask.provider_id == org_id
    return BackgroundTask.tenant_id == org_id


def own_task(
    session: Session,
    org_id: uuid.UUID,
    org_kind: str,
    task_id: uuid.UUID,
    *,
    user_id: uuid.UUID | None = None,
    sees_all: bool = True,
) -> BackgroundTask:
    """A task the acting organisation started; any other is not found. Unless
    ``sees_all`` (its admins), a person sees only the tasks they started: an
    import's errors quote the file, which a viewer was never allowed to send."""
    stmt = sa.select(BackgroundTask).where(
        BackgroundTask.id == task_id, _started_by(org_id, org_kind)
    )
    if not sees_all:
        stmt = stmt.where(BackgroundTask.created_by_id == user_id)
    task = session.scalar(stmt)
    if task is None:
        raise NotFound("task")
    return task


def recent_tasks(
    session: Session, org_id: uuid.UUID, org_kind: str, limit: int = 20
) -> list[BackgroundTask]:
    return list(
        session.scalars(
            sa.select(BackgroundTask)
            .where(_started_by(org_id, org_kind))
            .order_by(BackgroundTask.created_at.desc())
            .limit(limit)
        )
    )


def _without_retrying(result: dict | None) -> dict:
    return {k: v for k, v in (result or {}).items() if k != "retrying"}


class Progress:
    """Progress of one running task, committed with the work at checkpoints."""

    def __init__(self, task: BackgroundTask, batch: int = 100, every: float = 1.0) -> None:
        self.task = task
        self.batch = batch
        self.every = every
        self.failed = False
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

    def fail(self, errors: list[dict]) -> None:
        """The task will end failed with these errors once the body returns
        (a refused file, say); whatever the body wrote commits with it."""
        self.failed = True
        self.task.errors = [*self.task.errors, *errors]

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

    def finish(self, result: dict | None) -> None:
        """The body returned: the final state, committed with its last work."""
        task = self.task
        TASK.move(task, "fail" if self.failed else "succeed")
        task.finished_at = utcnow()
        task.result = _without_retrying(task.result) | (result or {})
        if task.total < task.done:
            task.total = task.done


class AtomicProgress:
    """Progress of a task whose work commits once, when the body returns.

    The work's transaction stays open until then, so progress cannot ride on
    it as ``Progress.checkpoint`` does: ``report`` writes done/total/phase to
    the task row in a short transaction of its own, which the polling page
    sees at once. The work's session never touches the row until the end, or
    its row lock would block these writes. SQLite allows one writer and the
    work's snapshot would go stale, so there (the embedded mode, where the job
    runs in the request anyway) only the final state is written.
    """

    def __init__(
        self,
        task: BackgroundTask,
        ctx: TenantContext,
        *,
        out_of_band: bool = True,
        batch: int = 100,
        every: float = 1.0,
    ) -> None:
        self.task = task
        self.ctx = ctx
        self.out_of_band = out_of_band
        self.batch = batch
        self.every = every
        self.failed = False
        self.total = task.total
        self.phase: str | None = (task.result or {}).get("phase")
        self.errors: list[dict] = []
        self._done = task.done
        self._since = 0
        self._last = time.monotonic()

    @property
    def done(self) -> int:
        return self._done

    def set_total(self, total: int) -> None:
        self.total = total

    def error(self, row: int | None, message: str) -> None:
        """A problem with one row, listed when the task has finished."""
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"row": row, "message": message[:500]})

    def fail(self, errors: list[dict]) -> None:
        """The task will end failed with these errors once the body returns."""
        self.failed = True
        self.errors.extend(errors)

    def advance(self, session: Session | None = None, rows: int = 1) -> None:
        self._done += rows
        self._since += rows
        if self._since >= self.batch or time.monotonic() - self._last >= self.every:
            self.checkpoint(session)

    def checkpoint(self, session: Session | None = None) -> None:
        """Show the progress so far; the work itself stays uncommitted."""
        self.report()

    def report(
        self, done: int | None = None, total: int | None = None, phase: str | None = None
    ) -> None:
        """Write done/total (and what is happening now) for the page to poll."""
        if done is not None:
            self._done = done
        if total is not None:
            self.total = total
        if phase is not None:
            self.phase = phase
        self._since = 0
        self._last = time.monotonic()
        if not self.out_of_band:
            return
        session = db.new_session(self.ctx)
        try:
            task = session.get(BackgroundTask, self.task.id)
            if task is not None and task.status not in FINISHED:
                task.total = self.total
                task.done = min(self._done, self.total) if self.total else self._done
                if self.phase is not None:
                    task.result = dict(task.result or {}) | {"phase": self.phase}
                session.commit()
        finally:
            session.close()

    def finish(self, result: dict | None) -> None:
        """The body returned: the final state, committed with all of its work."""
        task = self.task
        if self.out_of_band:
            # Reload what the reports committed, so every final value is written.
            Session.object_session(task).refresh(task)
        TASK.move(task, "fail" if self.failed else "succeed")
        task.finished_at = utcnow()
        total = max(self.total, self._done)
        task.total = total
        task.done = self._done if self.failed else total
        task.errors = [*task.errors, *self.errors]
        phase = {"phase": self.phase} if self.phase is not None else {}
        task.result = _without_retrying(task.result) | phase | (result or {})


def _mark_failed(session: Session, payload: dict, error: str, final: bool) -> None:
    task = session.get(BackgroundTask, uuid.UUID(payload["task_id"]))
    if task is None or task.status == SUCCEEDED:
        return
    if final:
        TASK.move(task, "fail")
        task.finished_at = utcnow()
        task.errors = [*task.errors, {"row": None, "message": error}]
        task.result = _without_retrying(task.result)
    else:
        TASK.move(task, "requeue")
        task.result = task.result | {"retrying": error}


def task_job(
    name: str,
    queue: str = "low",
    max_retries: int = 3,
    timeout: int = 3600,
    *,
    label: str | None = None,
    batch: int = 100,
    atomic: bool = False,
    on_failure: Callable[[Session, dict, str, bool], None] | None = None,
):
    """Register a job body ``(session, payload, progress) -> result dict | None``.

    The task is marked running when the body starts, succeeded with its result
    (merged into the one it started with) when it returns, or failed if it
    called ``progress.fail``; failed with the error (on the task's page) when
    the job's last attempt fails, after which ``on_failure`` runs too, in the
    same transaction (to clean up, or to say more to the user). ``atomic``:
    the body's work commits once, when it returns, and its ``AtomicProgress``
    is shown out of band meanwhile; otherwise it commits at each checkpoint.
    """
    from baton.platform.jobs import job

    def decorate(func: Callable[[Session, dict, Any], dict | None]):
        def run(job_session: Session, payload: dict) -> None:
            task_id = uuid.UUID(payload["task_id"])
            task = job_session.get(BackgroundTask, task_id)
            if task is None or task.status in FINISHED:
                return
            # The body commits at its own checkpoints, in the job's tenant
            # context (the task's tenant and provider, as its user).
            ctx = get_context(job_session)
            session = db.new_session(ctx)
            try:
                task = session.get(BackgroundTask, task_id)
                TASK.move(task, "start")
                task.started_at = task.started_at or utcnow()
                session.commit()
                progress: Progress | AtomicProgress
                if atomic:
                    sqlite = session.get_bind().dialect.name == "sqlite"
                    progress = AtomicProgress(task, ctx, out_of_band=not sqlite, batch=batch)
                else:
                    progress = Progress(task, batch=batch)
                result = func(session, payload, progress)
                progress.finish(result)
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

        def failed(session: Session, payload: dict, error: str, final: bool) -> None:
            _mark_failed(session, payload, error, final)
            if on_failure is not None:
                on_failure(session, payload, error, final)

        run.__name__ = func.__name__
        run.__doc__ = func.__doc__
        job(
            name,
            queue=queue,
            max_retries=max_retries,
            timeout=timeout,
            label=label,
            entity=lambda p: ("background_task", p["task_id"]),
            on_failure=failed,
        )(run)
        return func

    return decorate
