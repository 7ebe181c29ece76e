"""Bulk import pages: upload, template files, and the progress of a background import."""

from __future__ import annotations

import csv
import io
import uuid

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from baton.platform.auth import identity, require
from baton.platform.formatting import count
from baton.platform.tasks import FAILED, SUCCEEDED, BackgroundTask
from baton.platform.web import dbs
from baton.sourcing.requirements import imports

bp = Blueprint("client_requirement_imports", __name__, url_prefix="/client/requirements/import")


def _client_id() -> uuid.UUID:
    return identity().organisation.id


def _user_id() -> uuid.UUID | None:
    user = identity().user
    return user.id if user is not None else None


def _page(problems=None, status: int = 200, message: str | None = None):
    return render_template(
        "client/requirements/import.html",
        columns=imports.COLUMNS,
        required=imports.REQUIRED_COLUMNS,
        problems=problems,
        message=message,
    ), status


@bp.get("/")
@require(kind="client", permission="requirement.write")
def upload():
    return _page()


@bp.post("/")
@require(kind="client", permission="requirement.write")
def upload_post():
    file = request.files.get("file")
    if file is None or not file.filename:
        return _page([imports.RowError(None, None, "Choose a CSV or XLSX file to import.")], 422)
    content = file.read(imports.MAX_FILE_BYTES + 1)
    submit = request.form.get("submit") in ("on", "1", "true")
    try:
        started = imports.start(
            dbs(),
            _client_id(),
            _user_id(),
            file.filename,
            content,
            submit=submit,
            accept_warnings=request.form.get("accept_warnings") in ("on", "1", "true"),
            inline_rows=current_app.config.get("BATON_IMPORT_INLINE_ROWS"),
        )
    except imports.ImportRejected as exc:
        return _page(exc.rows, 422)
    if isinstance(started, BackgroundTask):
        return redirect(url_for(".task", task_id=started.id))
    result = started
    verb = "imported and handed off" if submit else "imported as drafts"
    return _page(
        message=f"{count(len(result.created), 'requirement')} with"
        f" {count(result.lines, 'line')} {verb}.",
        status=200,
    )


@bp.get("/template.csv")
@require(kind="client")
def template_csv():
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(imports.COLUMNS))
    for row in _example_rows():
        writer.writerow(row)
    data = io.BytesIO(out.getvalue().encode("utf-8-sig"))
    return send_file(
        data,
        mimetype="text/csv",
        as_attachment=True,
        download_name="baton-requirements-template.csv",
    )


@bp.get("/template.xlsx")
@require(kind="client")
def template_xlsx():
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Requirements"
    sheet.append(list(imports.COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in _example_rows():
        sheet.append(row)
    help_sheet = book.create_sheet("Columns")
    help_sheet.append(["column", "required", "meaning", "example"])
    for name, (meaning, example) in imports.COLUMNS.items():
        help_sheet.append(
            [name, "yes" if name in imports.REQUIRED_COLUMNS else "", meaning, example]
        )
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return send_file(
        out,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name="baton-requirements-template.xlsx",
    )


def _example_rows() -> list[list[str]]:
    """Two lines of one requirement: header columns on the first row only."""
    example = [example for _meaning, example in imports.COLUMNS.values()]
    second = ["" for _ in imports.COLUMNS]
    names = list(imports.COLUMNS)
    second[names.index("client_reference")] = example[names.index("client_reference")]
    for name, value in (
        ("item_code", "HF-0043"),
        ("description", "Fitting 3/4in BSP, stainless"),
        ("quantity", "100"),
        ("unit", "each"),
        ("unit_price", "4.10"),
        ("need_by", example[names.index("need_by")]),
        ("spec_required", "no"),
    ):
        second[names.index(name)] = value
    return [example, second]


@bp.get("/<uuid:task_id>")
@require(kind="client", permission="requirement.write")
def task(task_id: uuid.UUID):
    row = imports.get_task(dbs(), _client_id(), task_id)
    return render_template(
        "client/requirements/import_task.html",
        task=row,
        finished=row.status in (SUCCEEDED, FAILED),
        succeeded=row.status == SUCCEEDED,
    )


@bp.get("/<uuid:task_id>/progress")
@require(kind="client", permission="requirement.write")
def progress(task_id: uuid.UUID):
    row = imports.get_task(dbs(), _client_id(), task_id)
    result = row.result or {}
    return jsonify(
        {
            "status": row.status,
            "done": row.done,
            "total": row.total,
            "percent": row.percent,
            "phase": result.get("phase"),
            "created": result.get("created"),
            # A crash records its error for the admins, not as a problem in the file.
            "error_count": result.get("error_count", 0),
            "finished": row.status in (SUCCEEDED, FAILED),
        }
    )
