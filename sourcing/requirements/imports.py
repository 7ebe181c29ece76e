"""Bulk import of approved requirements from CSV or XLSX.

One row per requirement line; rows with the same ``client_reference`` make
one requirement, whose header columns may be repeated on every row or given
on the first only. The whole file is checked before anything is written, and
every problem is reported by row and column. Small files are imported in the
request; large ones by a platform task (``task_job(atomic=True)``) whose
progress the page polls while the import's one transaction is still open.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.orm import Session

from baton.platform import audit, tasks
from baton.platform.errors import NotFound, ValidationFailed
from baton.platform.file_import import ImportRejected, RowError
from baton.platform.notify import publish
from baton.platform.request_context import Actor, acting_as
from baton.platform.tasks import BackgroundTask
from baton.sourcing.documents import services as documents
from baton.sourcing.documents.models import Document, DocumentRevision
from baton.sourcing.requirements import drafts, handoff
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
from baton.sourcing.requirements.models import PRIORITIES, Requirement, RequirementImport
from baton.sourcing.suppliers.models import INCOTERMS, Supplier
from baton.tenants.models import Engagement, Organisation, User

log = structlog.get_logger("baton.requirements.import")

TASK_KIND = "requirements.import"
PROGRESS_EVERY = 250
# Files with more lines than this are imported by a background task.
DEFAULT_INLINE_ROWS = 500
WRITE_BATCH = 200
CRASH_MESSAGE = "The import stopped because of an internal error; nothing was imported."


@dataclass
class ImportResult:
    created: list[Requirement] = field(default_factory=list)
    submitted: int = 0
    lines: int = 0


Progress = Callable[[int, int, str], None]


# --- checking it ----------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _decimal(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float):
        value = repr(value)
    text = str(value).strip().replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError from None
    if not number.is_finite():
        raise ValueError
    return number


def _date(value: Any) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip()[:10])


def _bool(value: Any) -> bool:
    text = (_text(value) or "").lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError


@dataclass
class _Group:
    reference: str
    first_row: int
    header: dict[str, Any] = field(default_factory=dict)
    header_rows: dict[str, int] = field(default_factory=dict)
    lines: list[dict[str, Any]] = field(default_factory=list)
    line_rows: list[int] = field(default_factory=list)


def _load_lookups(
    session: Session, client_id: uuid.UUID
) -> tuple[drafts.Lookups, dict, dict, dict]:
    engagements = list(
        session.execute(
            sa.select(Engagement, Organisation.code)
            .join(Organisation, Organisation.id == Engagement.provider_id)
            .where(Engagement.client_id == client_id, Engagement.status == "active")
        ).all()
    )
    by_provider = {code.upper(): e for e, code in engagements}
    suppliers = list(session.scalars(sa.select(Supplier).where(Supplier.tenant_id == client_id)))
    by_code = {s.code.upper(): s for s in suppliers}
    revisions: dict[uuid.UUID, tuple[Document, DocumentRevision]] = {}
    by_number: dict[str, dict[int, uuid.UUID]] = {}
    for doc, rev in session.execute(documents.client_revisions(client_id)):
        revisions[rev.id] = (doc, rev)
        by_number.setdefault(doc.number.upper(), {})[rev.revision_no] = rev.id
    references = set(
        session.scalars(
            sa.select(Requirement.client_reference).where(Requirement.tenant_id == client_id)
        )
    )
    lookups = drafts.Lookups(
        engagements={e.id: e for e, _c in engagements},
        suppliers={s.id: s for s in suppliers},
        revisions=revisions,
        references=references,
    )
    return lookups, by_provider, by_code, by_number


def check_table(
    session: Session,
    client_id: uuid.UUID,
    table: Table,
    progress: Progress | None = None,
) -> tuple[list[_Group], list[drafts._Checked], drafts.Lookups, list[RowError]]:
    """Every problem in the file, or the checked requirements ready to write."""
    errors: list[RowError] = []
    lookups, by_provider, by_code, by_number = _load_lookups(session, client_id)
    groups: dict[str, _Group] = {}
    total = len(table.rows)
    for index, (row, values) in enumerate(table.rows, start=1):
        if progress and index % PROGRESS_EVERY == 0:
            progress(index, total * 2, "Checking the file")
        reference = _text(values.get("client_reference"))
        if reference is None:
            errors.append(RowError(row, "client_reference", "Enter the requirement's reference."))
            continue
        group = groups.get(reference)
        if group is None:
            group = groups[reference] = _Group(reference, row)
        for name in HEADER_COLUMNS:
            if name == "client_reference" or name not in values:
                continue
            value = _text(values.get(name))
            if value is None:
                continue
            if name in group.header and group.header[name] != value:
                errors.append(
                    RowError(
                        row,
                        name,
                        f"Differs from row {group.header_rows[name]} of {reference}"
                        f" ({group.header[name]!r}); header columns must agree on every row"
                        " of a requirement, or be left blank after the first.",
                    )
                )
                continue
            group.header.setdefault(name, value)
            group.header_rows.setdefault(name, row)
        line, line_errors = _parse_line(row, values, by_number)
        errors.extend(line_errors)
        group.lines.append(line)
        group.line_rows.append(row)

    checked: list[drafts._Checked] = []
    ordered = list(groups.values())
    for group in ordered:
        data, header_errors = _header_data(group, by_provider, by_code)
        errors.extend(header_errors)
        # The draft rules run even so, so a row's every problem is reported at
        # once (EURO beside an unknown supplier); a cell already reported for
        # a header error is said once below.
        try:
            result = drafts._check_draft(session, client_id, data, None, lookups=lookups)
        except ValidationFailed as exc:
            errors.extend(_locate(group, exc.errors))
            continue
        if header_errors:
            continue
        lookups.references.add(group.reference)
        checked.append(result)
    # A cell can be wrong for two reasons found in two passes; say it once.
    seen: set[tuple] = set()
    unique = []
    for error in errors:
        if (error.row, error.column) not in seen:
            seen.add((error.row, error.column))
            unique.append(error)
    order = list(COLUMNS)
    unique.sort(key=lambda e: (e.row or 0, order.index(e.column) if e.column in order else 99))
    return ordered, checked, lookups, unique


def _parse_line(
    row: int, values: dict[str, Any], by_number: dict[str, dict[int, uuid.UUID]]
) -> tuple[dict[str, Any], list[RowError]]:
    errors = []
    line: dict[str, Any] = {
        "item_code": _text(values.get("item_code")),
        "description": _text(values.get("description")),
        "unit": _text(values.get("unit")),
        "spec_revision_ids": [],
    }
    if not line["description"]:
        errors.append(RowError(row, "description", "Describe the item."))
    if line["item_code"] and len(line["item_code"]) > 64:
        errors.append(RowError(row, "item_code", "At most 64 characters."))
    if line["description"] and len(line["description"]) > 500:
        errors.append(RowError(row, "description", "At most 500 characters."))
    if line["unit"] and len(line["unit"]) > 16:
        errors.append(RowError(row, "unit", "At most 16 characters."))
    for name in ("quantity", "unit_price"):
        try:
            line[name] = _decimal(values.get(name))
        except ValueError:
            errors.append(RowError(row, name, f"Enter a number, not {values.get(name)!r}."))
            line[name] = None
    try:
        line["need_by"] = _date(values.get("need_by"))
    except ValueError:
        errors.append(
            RowError(row, "need_by", f"Enter a date as YYYY-MM-DD, not {values.get('need_by')!r}.")
        )
        line["need_by"] = None
    try:
        line["spec_required"] = _bool(values.get("spec_required"))
    except ValueError:
        errors.append(RowError(row, "spec_required", "Enter yes or no."))
        line["spec_required"] = False
    for ref in (_text(values.get("specifications")) or "").replace(",", ";").split(";"):
        ref = ref.strip()
        if not ref:
            continue
        number, _, rev = ref.partition("@")
        revisions = by_number.get(number.strip().upper())
        if not revisions:
            errors.append(RowError(row, "specifications", f"No document {number.strip()} found."))
            continue
        if rev.strip():
            try:
                wanted = int(rev.strip())
            except ValueError:
                errors.append(RowError(row, "specifications", f"{ref}: revision must be a number."))
                continue
            if wanted not in revisions:
                errors.append(
                    RowError(row, "specifications", f"{number.strip()} has no revision {wanted}.")
                )
                continue
            line["spec_revision_ids"].append(revisions[wanted])
        else:
            line["spec_revision_ids"].append(revisions[max(revisions)])
    return line, errors


def _header_data(
    group: _Group, by_provider: dict, by_code: dict
) -> tuple[dict[str, Any], list[RowError]]:
    errors = []
    header = group.header
    data: dict[str, Any] = {"client_reference": group.reference, "lines": group.lines}

    def where(name: str) -> int:
        return group.header_rows.get(name, group.first_row)

    for name in (
        "title",
        "payment_terms",
        "quote_reference",
        "ship_to",
        "sourcing_notes",
        "assumptions",
    ):
        data[name] = header.get(name)
    limits = {"client_reference": 64, "title": 200, "payment_terms": 100, "quote_reference": 100}
    for name, limit in limits.items():
        if data.get(name) and len(data[name]) > limit:
            errors.append(RowError(where(name), name, f"At most {limit} characters."))
    provider = header.get("provider")
    if provider is None:
        errors.append(RowError(where("provider"), "provider", "Enter the provider's code."))
    elif provider.upper() not in by_provider:
        errors.append(
            RowError(
                where("provider"),
                "provider",
                f"No active engagement with a provider coded {provider}.",
            )
        )
    else:
        data["engagement_id"] = by_provider[provider.upper()].id
    code = header.get("supplier_code")
    data["supplier_id"] = None
    if code is not None:
        supplier = by_code.get(code.upper())
        if supplier is None:
            errors.append(
                RowError(where("supplier_code"), "supplier_code", f"No supplier coded {code}.")
            )
        else:
            data["supplier_id"] = supplier.id
    data["currency"] = header.get("currency")
    incoterms = header.get("incoterms")
    if incoterms is not None and incoterms.upper() not in INCOTERMS:
        errors.append(
            RowError(
                where("incoterms"), "incoterms", "Use an Incoterms 2020 code, like FCA or DAP."
            )
        )
    data["incoterms"] = incoterms.upper() if incoterms else None
    priority = (header.get("priority") or "normal").lower()
    if priority not in PRIORITIES:
        errors.append(
            RowError(where("priority"), "priority", f"Use one of {', '.join(PRIORITIES)}.")
        )
    data["priority"] = priority
    try:
        data["quote_valid_until"] = _date(header.get("quote_valid_until"))
    except ValueError:
        errors.append(
            RowError(where("quote_valid_until"), "quote_valid_until", "Enter a date as YYYY-MM-DD.")
        )
    return data, errors


def _locate(group: _Group, errors: dict[str, str]) -> list[RowError]:
    """A service error's field path -> the row and column it came from."""
    out = []
    for path, message in errors.items():
        if path.startswith("lines["):
            number, _, rest = path[len("lines[") :].partition("]")
            index = int(number) - 1
            row = group.line_rows[index] if 0 <= index < len(group.line_rows) else group.first_row
            name = rest.lstrip(".") or None
            out.append(RowError(row, FIELD_COLUMNS.get(name, name), message))
        else:
            name = FIELD_COLUMNS.get(path, path)
            out.append(RowError(group.header_rows.get(name, group.first_row), name, message))
    return out


# --- writing it -------------------------------------------------------------------------


def import_table(
    session: Session,
    client_id: uuid.UUID,
    user_id: uuid.UUID | None,
    table: Table,
    *,
    submit: bool = False,
    progress: Progress | None = None,
    task_id: uuid.UUID | None = None,
) -> ImportResult:
    """Check the whole table, then write it; on any problem nothing is written."""
    _groups, checked, _lookups, errors = check_table(session, client_id, table, progress)
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
            handoff.submit(session, client_id, user_id, req.id, notify=False, req=req)
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
    inline_rows: int | None = None,
) -> ImportResult | BackgroundTask:
    """Import a file now, or, when it has more than ``inline_rows`` lines, start a
    background task for it (the page then follows its progress)."""
    table = read_table(filename, content)
    limit = DEFAULT_INLINE_ROWS if inline_rows is None else inline_rows
    if len(table.rows) > limit:
        return start_background(
            session, client_id, user_id, filename, content, submit=submit, rows=len(table.rows)
        )
    return import_table(session, client_id, user_id, table, submit=submit)


def start_background(
    session: Session,
    client_id: uuid.UUID,
    user_id: uuid.UUID | None,
    filename: str,
    content: bytes,
    *,
    submit: bool,
    rows: int,
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
        payload={"import_id": str(upload.id)},
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
