"""Reading and checking a supplier CSV file as a whole before anything is written.

Row numbers are the ones a spreadsheet shows: the header is row 1, the first
supplier row 2. Columns are named by their header.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.file_import import ImportRejected, RowError
from baton.sourcing.suppliers.fields import FIELDS, REQUIRED, clean
from baton.sourcing.suppliers.models import Supplier

MAX_ROWS = 20_000
MAX_ERRORS = 500
TEMPLATE_ROWS = [
    {
        "name": "Rheinmetall Gusstechnik GmbH",
        "code": "RGT-001",
        "currency": "EUR",
        "qualification_status": "qualified",
        "qualified_until": "2027-06-30",
        "contact_name": "Anna Weber",
        "contact_email": "orders@rgt.example",
        "contact_phone": "+49 211 555 0100",
        "address": "Industriestraße 4, 40227 Düsseldorf",
        "country": "DE",
        "payment_terms": "Net 30",
        "incoterms": "DAP",
        "categories": "Castings; Machining",
        "notes": "",
    }
]


def template_csv() -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(FIELDS), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(TEMPLATE_ROWS)
    return out.getvalue()


def _column(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def read_csv(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Decode and split the file; file-level problems are reported as row 1 or none."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            [
                RowError(
                    None,
                    None,
                    f"The file is not UTF-8 text (byte {exc.start + 1}). In Excel choose"
                    " 'CSV UTF-8 (Comma delimited)' when saving.",
                )
            ]
        ) from exc
    first_line = text.split("\n", 1)[0]
    # Spreadsheets in many European locales save with ';' between columns.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise ImportRejected(
                [RowError(1, None, "The file is empty; the first row must name the columns.")]
            )
        rows = []
        for index, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            rows.append((index, cells))
            if len(rows) > MAX_ROWS:
                raise ImportRejected(
                    [RowError(index, None, f"A file holds at most {MAX_ROWS} suppliers; split it.")]
                )
    except csv.Error as exc:
        raise ImportRejected(
            [RowError(reader.line_num, None, f"The CSV cannot be read here: {exc}.")]
        ) from exc
    return [_column(h) for h in header], rows


def plan_import(
    session: Session,
    tenant_id: uuid.UUID,
    header: list[str],
    rows: Iterable[tuple[int, list[str]]],
) -> list[tuple[int, dict, Supplier | None]]:
    """Check the header and every row; return what to write, or raise with every problem."""
    rows = list(rows)
    errors: list[RowError] = []
    seen_columns: set[str] = set()
    for name in header:
        if name not in FIELDS:
            errors.append(
                RowError(1, name or "(blank)", f"Unknown column. Columns are: {', '.join(FIELDS)}.")
            )
        elif name in seen_columns:
            errors.append(RowError(1, name, "This column appears twice."))
        seen_columns.add(name)
    for name in REQUIRED:
        if name not in header:
            errors.append(RowError(1, name, "Required column is missing."))
    if not rows and not errors:
        errors.append(RowError(2, None, "The file has a header but no supplier rows."))
    if errors:
        raise ImportRejected(errors)

    existing = _existing_by_code(session, tenant_id, rows, header.index("code"))
    plan: list[tuple[int, dict, Supplier | None]] = []
    codes_seen: dict[str, int] = {}
    for row_no, cells in rows:
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            errors.append(
                RowError(
                    row_no,
                    None,
                    f"This row has {len(cells)} cells but the header names {len(header)} columns.",
                )
            )
            continue
        data = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header)}
        if not data.get("qualification_status", "x").strip():
            # Blank means "not saying": new suppliers get the default, existing keep theirs.
            del data["qualification_status"]
        values, problems = clean(data)
        for column, message in problems.items():
            errors.append(RowError(row_no, column, message))
        code = values.get("code")
        if code:
            if code in codes_seen:
                errors.append(
                    RowError(
                        row_no, "code", f"Code {code} already appears on row {codes_seen[code]}."
                    )
                )
            codes_seen.setdefault(code, row_no)
        if not problems:
            plan.append((row_no, values, existing.get(code)))
        if len(errors) >= MAX_ERRORS:
            errors.append(RowError(None, None, f"Stopped after {MAX_ERRORS} problems."))
            break
    if errors:
        raise ImportRejected(errors)
    return plan


def _existing_by_code(
    session: Session, tenant_id: uuid.UUID, rows: list[tuple[int, list[str]]], code_index: int
) -> dict[str, Supplier]:
    codes = sorted(
        {cells[code_index].strip().upper() for _, cells in rows if code_index < len(cells)} - {""}
    )
    found: dict[str, Supplier] = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        for supplier in session.scalars(
            sa.select(Supplier).where(Supplier.tenant_id == tenant_id, Supplier.code.in_(chunk))
        ):
            found[supplier.code] = supplier
    return found
