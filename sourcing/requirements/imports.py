"""Bulk import of approved requirements from CSV or XLSX.

One row per requirement line; rows with the same ``client_reference`` make
one requirement, whose header columns may be repeated on every row or given
on the first only. The whole file is checked before anything is written
(``import_check``), and every problem is reported by row and column. Small files are imported in the
request; large ones by a platform task (``task_job(atomic=True)``) whose
progress the page polls while the import's one transaction is still open.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.orm import Session

from baton.platform import audit, tasks
from baton.platform.errors import NotFound
from baton.platform.file_import import ImportRejected, RowError  # noqa: F401  (for callers)
from baton.platform.notify import publish
from baton.platform.request_context import Actor, acting_as
from baton.platform.tasks import BackgroundTask
from baton.sourcing.requirements import drafts, handoff
from baton.sourcing.requirements.import_check import (  # noqa: F401  (for callers)
    PROGRESS_EVERY,
    Progress,
    check_table,
)
from baton.sourcing.requirements.import_file import (  # noqa: F401  (the import's vocabulary)
    COLUMNS,
    FALSE,
    FIELD_COLUMNS,
    HEADER_COLUMNS,
    LINE_COLUMNS,
    MAX_FILE_BYTES,
    MAX_REPORTED_ERRORS,
    MAX_ROWS,
    REQUIRED_COLUMNS,
    TRUE,
    Table,
    is_xlsx,
    read_table,
)
from baton.sourcing.requirements.models import Requirement, RequirementImport
from baton.tenants.models import User

log = structlog.get_logger("baton.requirements.import")

TASK_KIND = "requirements.import"
# Files with more lines than this are imported by a background task.
DEFAULT_INLINE_ROWS = 500
WRITE_BATCH = 200
CRASH_MESSAGE = "The import stopped because of an internal error; nothing was imported."


@dataclass
class ImportResult:
    created: list[Requirement] = field(default_factory=list)
    submitted: int = 0
    lines: int = 0


# --- writing it -------------------------------------------------------------------------


def import_table(
    session: Session,
    client_id: uuid.UUID,
    user_id: uuid.UUID | None,
    table: Table,
    *,
    submit: bool = False,
    accept_warnings: bool = False,
    progress: Progress | None = None,
    task_id: uuid.UUID | None = None,
) -> ImportResult:
    """Check the whole table, then write it; on any problem nothing is written.
    With ``submit`` every requirement must pass the readiness check as at any
    handoff (warnings confirmed by ``accept_warnings``)."""
    _groups, checked, _lookups, errors = check_table(
        session, client_id, table, progress, submit=submit, accept_warnings=accept_warnings
    )
    if errors:
        raise ImportRejected(errors)
    total = len(table.rows)
    result = ImportResult()
    first_by_provider: dict[uuid.UUID, Requirement] = {}
    count_by_provider: dict[uuid.UUID, int] = {}
    next_report = PROGRESS_EVERY
    # Rows are flushed in batches (multi-row INSERTs) and audited after each
    # batch, rather than a round trip per requirement for each table.
    events: list[dict] = []
    for item in checked:
        req = drafts._write_draft(
            session,
            client_id,
            user_id,
            item,
            None,
            action="requirement.imported",
            extra_changes={"import_task": [None, str(task_id)]} if task_id else None,
            audit_later=events,
        )
        if submit or len(events) >= WRITE_BATCH:
            _flush_and_audit(session, events)
        result.lines += len(item.lines)
        if submit:
            # No email per requirement: one summary per provider follows.
            handoff.submit(
                session,
                client_id,
                user_id,
                req.id,
                accept_warnings=accept_warnings,
                notify=False,
                req=req,
            )
            result.submitted += 1
            first_by_provider.setdefault(req.provider_id, req)
            count_by_provider[req.provider_id] = count_by_provider.get(req.provider_id, 0) + 1
        result.created.append(req)
        if progress and result.lines >= next_report:
            progress(total + result.lines, total * 2, "Writing requirements")
            next_report = result.lines + PROGRESS_EVERY
    _flush_and_audit(session, events)
    # One summary email per provider, however the file was imported (in the
    # request or as a task), instead of one per requirement to each buyer.
    import_id = str(task_id or uuid.uuid4())
    for provider_id, req in first_by_provider.items():
        publish(
            session,
            "requirement.imported",
            {
                "requirement_id": str(req.id),
                "task_id": import_id,
                "count": count_by_provider[provider_id],
            },
            about=req,
        )
    return result


def _flush_and_audit(session: Session, events: list[dict]) -> None:
    if not events:
        return
    session.flush()
    for event in events:
        audit.record(session, **event)
    events.clear()


# --- starting and running it in the background ---------------------------------------------


def start(
    session: Session,
    client_id: uuid.UUID,
    user_id: uuid.UUID | None,
    filename: str,
    content: bytes,
    *,
    submit: bool,
    accept_warnings: bool = False,
    inline_rows: int | None = None,
) -> ImportResult | BackgroundTask:
    """Import a file now, or, when it has more than ``inline_rows`` lines, start a
    background task for it (the page then follows its progress)."""
    table = read_table(filename, content)
    limit = DEFAULT_INLINE_ROWS if inline_rows is None else inline_rows
    if len(table.rows) > limit:
        return start_background(
            session,
            client_id,
            user_id,
            filename,
            content,
            submit=submit,
            accept_warnings=accept_warnings,
            rows=len(table.rows),
        )
    return import_table(
        session, client_id, user_id, table, submit=submit, accept_warnings=accept_warnings
    )


def start_background(
    session: Session,
    client_id: uuid.UUID,
    user_id: uuid.UUID | None,
    filename: str,
    content: bytes,
    *,
    submit: bool,
    rows: int,
    accept_warnings: bool = False,
) -> BackgroundTask:
    """Keep the upload and start the ``requirements.import`` task on it."""
    upload = RequirementImport(
        id=uuid.uuid4(),
        tenant_id=client_id,
        filename=filename[:255],
        content=content,
        submit=submit,
        created_by_id=user_id,
    )
    task = tasks.start_task(
        session,
        kind=TASK_KIND,
        label=f"Import of {filename[:150]}",
        job="requirements.import",
        payload={"import_id": str(upload.id), "accept_warnings": accept_warnings},
        tenant_id=client_id,
        created_by_id=user_id,
        # Checking the rows is the first half of the bar, writing them the second.
        total=rows * 2,
        result={"phase": "Waiting to start", "rows": rows, "submit": submit},
    )
    upload.task_id = task.id
    session.add(upload)
    return task


def get_task(session: Session, client_id: uuid.UUID, task_id: uuid.UUID) -> BackgroundTask:
    """An import of this client; the platform's other tasks have their own page."""
    task = tasks.get_task(session, task_id)
    if task.kind != TASK_KIND or task.tenant_id != client_id or task.provider_id is not None:
        raise NotFound("No such import.")
    return task


def run_import_job(session: Session, payload: dict, progress: tasks.AtomicProgress) -> dict:
    """The body of the ``requirements.import`` task, in the client's context.

    All or nothing: the whole file is checked, then written in the task's one
    transaction; a refused file fails the task with its row errors.
    """
    task = progress.task
    upload = session.get(RequirementImport, uuid.UUID(payload["import_id"]))
    if upload is None:
        progress.fail([])  # never expected: the upload goes with the task's final state
        return {"phase": "Failed", "crash": CRASH_MESSAGE}
    client_id, user_id = task.tenant_id, task.created_by_id
    progress.report(0, task.total or 1, "Reading the file")
    user = session.get(User, user_id) if user_id else None
    actor = (
        Actor("user", str(user_id), f"{user.email} (import)")
        if user
        else Actor("system", None, "requirement import")
    )
    outcome: dict[str, Any]
    with acting_as(actor):
        try:
            table = read_table(upload.filename, upload.content)
            result = import_table(
                session,
                client_id,
                user_id,
                table,
                submit=upload.submit,
                accept_warnings=bool(payload.get("accept_warnings")),
                progress=progress.report,
                task_id=task.id,
            )
            outcome = {
                "phase": "Finished",
                "created": len(result.created),
                "submitted": result.submitted,
                "lines": result.lines,
                "rows": len(table.rows),
            }
        except ImportRejected as exc:
            # Refused before any write, so only the task changes.
            progress.fail([e.as_dict() for e in exc.rows[:MAX_REPORTED_ERRORS]])
            outcome = {"phase": "Rejected", "error_count": len(exc.rows)}
    session.delete(upload)
    log.info(
        "requirements_import_finished",
        task_id=str(task.id),
        status=tasks.FAILED if progress.failed else tasks.SUCCEEDED,
        **{k: v for k, v in outcome.items() if k != "phase"},
    )
    return outcome


def import_failed(session: Session, payload: dict, error: str, final: bool) -> None:
    """The job crashed (not a refused file) and the platform marked the task
    failed: say that nothing was imported, and drop the upload."""
    if not final:
        return
    task = session.get(BackgroundTask, uuid.UUID(payload["task_id"]))
    if task is None or task.status != tasks.FAILED:
        return
    task.result = dict(task.result or {}) | {"phase": "Failed", "crash": CRASH_MESSAGE}
    upload = session.get(RequirementImport, uuid.UUID(payload["import_id"]))
    if upload is not None:
        session.delete(upload)
