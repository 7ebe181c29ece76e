"""Bulk import of requirements from CSV and XLSX: grouping by reference,
whole-file validation with row and column, templates, and the background
path with its progress."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from baton.platform.tasks import AtomicProgress, BackgroundTask
from baton.sourcing.requirements import import_check, imports
from baton.sourcing.requirements.models import Requirement, RequirementImport
from tests.support import requirements as h
from tests.support.world import login

FUTURE = (h.today() + timedelta(days=60)).isoformat()
QUOTE = (h.today() + timedelta(days=90)).isoformat()


def header_row(reference: str, supplier_code: str, **overrides) -> dict:
    row = {
        "client_reference": reference,
        "title": f"Parts for {reference}",
        "provider": "NWPS",
        "supplier_code": supplier_code,
        "currency": "EUR",
        "quote_reference": "Q-1",
        "quote_valid_until": QUOTE,
        "ship_to": "Plant 2",
        "priority": "high",
    }
    row.update(overrides)
    return row


def line_row(reference: str, n: int, **overrides) -> dict:
    row = {
        "client_reference": reference,
        "item_code": f"IT-{n}",
        "description": f"Item {n}",
        "quantity": "10",
        "unit": "each",
        "unit_price": "2.50",
        "need_by": FUTURE,
        "spec_required": "no",
    }
    row.update(overrides)
    return row


def to_csv(rows: list[dict], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(imports.COLUMNS), delimiter=delimiter)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def to_xlsx(rows: list[dict]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(imports.COLUMNS))
    for row in rows:
        sheet.append([row.get(c) for c in imports.COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def problems_of(app, world, content: bytes) -> list[imports.RowError]:
    with h.as_client(app, world) as (session, _uid):
        table = imports.read_table("file.csv", content)
        return imports.check_table(session, world.orgs["acme"], table)[3]


def upload(client, content: bytes, filename: str = "reqs.csv", submit: bool = False):
    data = {"file": (io.BytesIO(content), filename)}
    if submit:
        data["submit"] = "on"
    return client.post(
        "/client/requirements/import/", data=data, content_type="multipart/form-data"
    )


@pytest.fixture
def sourcing(app, world):
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    return client


def requirements_of(app, tenant_id) -> list[Requirement]:
    with h.service_session(app) as session:
        rows = list(
            session.scalars(
                sa.select(Requirement)
                .where(Requirement.tenant_id == tenant_id)
                .order_by(Requirement.client_reference)
            )
        )
        for row in rows:
            _ = list(row.lines)
            for line in row.lines:
                _ = list(line.specs)
        session.expunge_all()
        return rows


def test_rows_sharing_a_reference_become_one_requirement(app, world, sourcing):
    h.make_supplier(app, world, code="BOLT")
    spec = h.make_spec(app, world, revisions=2)
    number = h.document_number(app, spec[0])
    rows = [
        header_row("R-1", "BOLT") | line_row("R-1", 1),
        line_row("R-1", 2, spec_required="yes", specifications=f"{number}@1"),
        header_row("R-2", "bolt") | line_row("R-2", 1, specifications=number),
    ]
    response = upload(sourcing, to_csv(rows))
    assert response.status_code == 200
    assert "2 requirements with 3 lines imported as drafts" in response.text
    r1, r2 = requirements_of(app, world.orgs["acme"])
    assert (r1.client_reference, r1.status, r1.priority) == ("R-1", "draft", "high")
    assert [line.description for line in r1.lines] == ["Item 1", "Item 2"]
    assert [s.revision_id for s in r1.lines[1].specs] == [spec[0]]
    assert [s.revision_id for s in r2.lines[0].specs] == [spec[1]]  # the latest revision
    assert r1.ready and r1.provider_id == world.orgs["north"]


def test_every_problem_is_reported_by_row_and_column_and_nothing_is_written(app, world, sourcing):
    h.make_supplier(app, world, code="BOLT")
    h.create_draft(
        app, world, h.good_data(world, h.make_supplier(app, world), client_reference="TAKEN")
    )
    before = h.count_requirements(app, world.orgs["acme"])
    rows = [
        header_row("R-1", "BOLT") | line_row("R-1", 1, quantity="ten"),
        line_row("R-1", 2, title="Something else", need_by="next week"),
        header_row("R-2", "NOPE", provider="ZZZZ") | line_row("R-2", 1, description=""),
        header_row("TAKEN", "BOLT") | line_row("TAKEN", 1, specifications="DOC-MISSING"),
        header_row("R-3", "BOLT") | line_row("R-3", 1),
    ]
    response = upload(sourcing, to_csv(rows))
    assert response.status_code == 422
    assert "nothing was imported" in response.text
    problems = {(p.row, p.column) for p in problems_of(app, world, to_csv(rows))}
    assert problems == {
        (2, "quantity"),
        (3, "title"),
        (3, "need_by"),
        (4, "provider"),
        (4, "supplier_code"),
        (4, "description"),
        (5, "specifications"),
        (5, "client_reference"),
    }
    assert "Enter a number, not &#39;ten&#39;." in response.text
    assert "Another requirement already uses TAKEN." in response.text
    assert h.count_requirements(app, world.orgs["acme"]) == before


def test_unknown_and_missing_columns_are_named(app, world, sourcing):
    content = b"client_reference,title,colour\nR-1,Thing,red\n"
    response = upload(sourcing, content)
    assert response.status_code == 422
    assert "Unknown column &#39;colour&#39;" in response.text
    assert "The column &#39;provider&#39; is required." in response.text


def test_xlsx_files_and_semicolon_csv_import_the_same(app, world, sourcing):
    h.make_supplier(app, world, code="BOLT")
    rows = [header_row("X-1", "BOLT") | line_row("X-1", 1, quantity=None)]
    rows[0]["quantity"] = 12.5  # a number cell, as Excel stores it
    response = upload(sourcing, to_xlsx(rows), filename="reqs.xlsx")
    assert response.status_code == 200, response.text
    rows = [header_row("S-1", "BOLT") | line_row("S-1", 1, unit_price="2,75")]
    response = upload(sourcing, to_csv(rows, delimiter=";"), filename="reqs.csv")
    assert response.status_code == 200, response.text
    by_ref = {r.client_reference: r for r in requirements_of(app, world.orgs["acme"])}
    assert str(by_ref["X-1"].lines[0].quantity.normalize()) == "12.5"
    assert str(by_ref["S-1"].lines[0].unit_price.normalize()) == "2.75"


def test_a_renamed_binary_is_refused(app, world, sourcing):
    response = upload(sourcing, b"MZ\x90\x00\x03\x00\x00\x00" * 20, filename="reqs.csv")
    assert response.status_code == 422
    assert "This is not a CSV or XLSX file." in response.text
    response = upload(sourcing, b"PK\x03\x04garbage", filename="reqs.xlsx")
    assert response.status_code == 422
    assert "could not be opened" in response.text


def test_import_and_submit_hands_off_with_one_email_per_provider(app, world, sourcing):
    h.make_supplier(app, world, code="BOLT")
    rows = [header_row(f"H-{n}", "BOLT") | line_row(f"H-{n}", 1) for n in range(3)]
    response = upload(sourcing, to_csv(rows), submit=True)
    assert "3 requirements with 3 lines imported and handed off" in response.text
    assert {r.status for r in requirements_of(app, world.orgs["acme"])} == {"submitted"}
    mails = h.mails_to(app, world.email("north_buyer"))
    assert len(mails) == 1  # one summary, not one email per requirement
    assert "3 new handoffs" in mails[0]["Subject"]


def test_templates_download_and_describe_every_column(app, world, sourcing):
    text = sourcing.get("/client/requirements/import/template.csv").data.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert header == list(imports.COLUMNS)
    xlsx = sourcing.get("/client/requirements/import/template.xlsx")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.data))
    assert [c.value for c in book["Requirements"][1]] == list(imports.COLUMNS)
    assert book["Columns"].max_row == len(imports.COLUMNS) + 1
    # The template itself imports once its supplier and document exist.
    h.make_supplier(app, world, code="SUP-001")
    table = imports.read_table("t.csv", text.encode())
    problems = {p.column for p in problems_of(app, world, text.encode())}
    assert problems == {"specifications"}  # DOC-00001 is only an example
    assert len(table.rows) == 2


def test_a_large_file_is_imported_in_the_background_with_progress(app, world, sourcing):
    app.config["BATON_IMPORT_INLINE_ROWS"] = 5
    try:
        h.make_supplier(app, world, code="BOLT")
        rows = []
        for n in range(12):
            rows.append(header_row(f"B-{n:02d}", "BOLT") | line_row(f"B-{n:02d}", 1))
            rows.append(line_row(f"B-{n:02d}", 2))
        response = upload(sourcing, to_csv(rows))
        assert response.status_code == 302
        task_url = response.headers["Location"]
        progress = sourcing.get(task_url.rstrip("/") + "/progress").json
        assert progress["finished"] and progress["status"] == "succeeded"
        assert progress["percent"] == 100 and progress["created"] == 12
        page = sourcing.get(task_url)
        assert "12 requirements with 24 lines imported as drafts" in page.text
        assert len(requirements_of(app, world.orgs["acme"])) == 12
        with h.service_session(app) as session:
            assert (
                session.scalar(
                    sa.select(sa.func.count())
                    .select_from(RequirementImport)
                    .where(RequirementImport.tenant_id == world.orgs["acme"])
                )
                == 0
            )
        # Someone else's task is not found.
        other = app.test_client()
        login(other, world.email("globex_sourcing"))
        assert other.get(task_url).status_code == 404
    finally:
        app.config.pop("BATON_IMPORT_INLINE_ROWS")


def test_a_rejected_background_import_lists_its_problems(app, world, sourcing):
    app.config["BATON_IMPORT_INLINE_ROWS"] = 1
    try:
        rows = [header_row("B-1", "NOPE") | line_row("B-1", 1), line_row("B-1", 2, quantity="x")]
        response = upload(sourcing, to_csv(rows))
        task_url = response.headers["Location"]
        progress = sourcing.get(task_url.rstrip("/") + "/progress").json
        assert progress["status"] == "failed" and progress["error_count"] == 2
        page = sourcing.get(task_url)
        assert "2 problems found; nothing was imported." in page.text
        assert "No supplier coded NOPE." in page.text
        assert h.count_requirements(app, world.orgs["acme"]) == 0
        with h.service_session(app) as session:
            task = session.get(BackgroundTask, imports_task_id(task_url))
            assert [(e["row"], e["column"]) for e in task.errors] == [
                (2, "supplier_code"),
                (3, "quantity"),
            ]
    finally:
        app.config.pop("BATON_IMPORT_INLINE_ROWS")


def test_a_background_import_that_crashes_says_nothing_was_imported(
    app, world, sourcing, monkeypatch
):
    app.config["BATON_IMPORT_INLINE_ROWS"] = 1
    h.make_supplier(app, world, code="BOLT")
    original = imports._flush_and_audit

    def crash_after_writing(session, events):
        original(session, events)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(imports, "_flush_and_audit", crash_after_writing)
    try:
        rows = [header_row(f"C-{n}", "BOLT") | line_row(f"C-{n}", 1) for n in range(3)]
        task_url = upload(sourcing, to_csv(rows)).headers["Location"]
        progress = sourcing.get(task_url.rstrip("/") + "/progress").json
        assert progress["status"] == "failed" and progress["error_count"] == 0
        page = sourcing.get(task_url).text
        assert "internal error; nothing was imported." in page
        assert "problems found" not in page and "went away" not in page
        assert h.count_requirements(app, world.orgs["acme"]) == 0
        with h.service_session(app) as session:
            assert (
                session.scalar(
                    sa.select(sa.func.count())
                    .select_from(RequirementImport)
                    .where(RequirementImport.tenant_id == world.orgs["acme"])
                )
                == 0
            )
    finally:
        app.config.pop("BATON_IMPORT_INLINE_ROWS")


def imports_task_id(url: str):
    import uuid

    return uuid.UUID(url.rstrip("/").split("/")[-1])


def test_progress_is_visible_while_the_import_is_still_running(pg_app, pg_world, monkeypatch):
    """The job's own transaction stays open until the end; the progress bar
    reads what it commits alongside, so the page moves before the data lands."""
    from baton.platform.jobs import run_outbox_message
    from baton.platform.outbox import OutboxMessage

    app, world = pg_app, pg_world
    h.make_supplier(app, world, code="BOLT")
    rows = [header_row(f"P-{n:02d}", "BOLT") | line_row(f"P-{n:02d}", 1) for n in range(10)]
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(import_check, "PROGRESS_EVERY", 2)
    seen: list[tuple[int, int, str, int]] = []
    original = AtomicProgress.report

    def watching(self, done=None, total=None, phase=None):
        original(self, done, total, phase)
        # What the client's page reads meanwhile, from another connection.
        session = h.db.new_session(self.ctx)
        try:
            task = session.get(BackgroundTask, self.task.id)
            written = session.scalar(
                sa.select(sa.func.count())
                .select_from(Requirement)
                .where(Requirement.tenant_id == world.orgs["acme"])
            )
            seen.append((task.done, task.total, task.result["phase"], written))
        finally:
            session.close()

    monkeypatch.setattr(AtomicProgress, "report", watching)
    with h.as_client(app, world) as (session, uid):
        content = to_csv(rows)
        task = imports.start_background(
            session, world.orgs["acme"], uid, "big.csv", content, submit=False, rows=10
        )
        outbox_ids = list(session.info.pop("outbox_ids"))
        task_id = task.id
    with app.app_context():
        assert run_outbox_message(str(outbox_ids[0])) == "done"
        session = h.db.new_service_session(h.SERVICE_CONTEXT)
        try:
            assert session.get(OutboxMessage, outbox_ids[0]).status == "done"
        finally:
            session.close()
    phases = [s[2] for s in seen]
    assert "Checking the file" in phases and "Writing requirements" in phases
    done_values = [s[0] for s in seen]
    assert done_values == sorted(done_values) and any(0 < d < 20 for d in done_values)
    assert all(s[3] == 0 for s in seen)  # nothing visible before the commit
    with h.service_session(app) as session:
        task = session.get(BackgroundTask, task_id)
        assert (task.status, task.done, task.total) == ("succeeded", 20, 20)
    assert len(requirements_of(app, world.orgs["acme"])) == 10
