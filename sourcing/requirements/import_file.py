"""Reading a requirement import file (CSV or XLSX) into rows, and its columns.

One row per requirement line; rows with the same ``client_reference`` make
one requirement, whose header columns may be repeated on every row or given
on the first only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from baton.platform.file_import import ImportRejected, RowError

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
# At most this many problems are kept for the page.
MAX_REPORTED_ERRORS = 1000


# column: (meaning, example) — the order of the template file.
COLUMNS: dict[str, tuple[str, str]] = {
    "client_reference": ("Your reference; rows sharing it form one requirement", "REQ-1001"),
    "title": ("What is being bought", "Hydraulic fittings for line 3"),
    "provider": ("Code of the procurement provider you engaged", "NWPS"),
    "supplier_code": ("Code of the awarded supplier in your supplier list", "SUP-001"),
    "currency": ("ISO code of the agreed price; defaults to the supplier's", "EUR"),
    "payment_terms": ("Agreed payment terms", "30 days net"),
    "incoterms": ("Incoterms 2020 code", "DAP"),
    "quote_reference": ("The supplier's quote number", "Q-2291"),
    "quote_valid_until": ("Quote validity, YYYY-MM-DD", "2027-06-30"),
    "ship_to": ("Delivery address", "Acme Plant 2, Dock 4, 12345 Springfield"),
    "sourcing_notes": ("What the buyer should know", "Awarded after 3-way RFQ"),
    "assumptions": ("Sourcing assumptions the price depends on", "Price assumes annual volume"),
    "priority": ("low, normal, high or urgent", "normal"),
    "item_code": ("Line: your item code", "HF-0042"),
    "description": ("Line: description of the item", "Fitting 1/2in BSP, stainless"),
    "quantity": ("Line: quantity, a number", "250"),
    "unit": ("Line: unit of measure", "each"),
    "unit_price": ("Line: agreed unit price, a number", "3.85"),
    "need_by": ("Line: need-by date, YYYY-MM-DD", "2027-07-15"),
    "spec_required": ("Line: must it be bought to a specification? yes/no", "yes"),
    "specifications": (
        "Line: document numbers, ; between them, @n for a revision (else the latest)",
        "DOC-00001@2",
    ),
}
REQUIRED_COLUMNS = ("client_reference", "title", "provider", "description")
HEADER_COLUMNS = tuple(list(COLUMNS)[:13])
LINE_COLUMNS = tuple(list(COLUMNS)[13:])
# Where a service error about a field is shown in the file.
FIELD_COLUMNS = {
    "engagement_id": "provider",
    "supplier_id": "supplier_code",
    "specs": "specifications",
}
TRUE = {"yes", "y", "true", "1", "x"}
FALSE = {"no", "n", "false", "0", ""}


@dataclass
class Table:
    columns: list[str]
    rows: list[tuple[int, dict[str, Any]]]


# --- reading the file ---------------------------------------------------------------


def _column_name(raw: Any) -> str:
    return str(raw or "").strip().lower().replace(" ", "_").replace("-", "_")


def is_xlsx(filename: str | None, content: bytes) -> bool:
    # An XLSX file is a ZIP archive; judge by the bytes, not only the name.
    return content[:4] == b"PK\x03\x04"


def read_table(filename: str | None, content: bytes) -> Table:
    if not content:
        raise ImportRejected([RowError(None, None, "The file is empty.")])
    if len(content) > MAX_FILE_BYTES:
        raise ImportRejected(
            [RowError(None, None, f"The file is larger than {MAX_FILE_BYTES // 1024 // 1024} MB.")]
        )
    raw_rows = _xlsx_rows(content) if is_xlsx(filename, content) else _csv_rows(content)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, values in raw_rows:
        if header is None:
            if not any(_present(v) for v in values):
                continue
            header = [_column_name(v) for v in values]
            problems = _header_problems(number, header)
            if problems:
                raise ImportRejected(problems)
            continue
        if not any(_present(v) for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportRejected(
                [RowError(number, None, f"A file can have at most {MAX_ROWS} lines; split it.")]
            )
        rows.append(
            (
                number,
                {
                    name: values[i] if i < len(values) else None
                    for i, name in enumerate(header)
                    if name
                },
            )
        )
    if header is None:
        raise ImportRejected([RowError(None, None, "The file has no header row.")])
    if not rows:
        raise ImportRejected([RowError(None, None, "The file has a header but no lines.")])
    return Table([c for c in header if c], rows)


def _present(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _header_problems(number: int, header: list[str]) -> list[RowError]:
    problems = []
    seen = set()
    for name in header:
        if not name:
            continue
        if name not in COLUMNS:
            problems.append(
                RowError(number, name, f"Unknown column {name!r}; see the template for the names.")
            )
        elif name in seen:
            problems.append(RowError(number, name, f"Column {name!r} appears twice."))
        seen.add(name)
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            problems.append(RowError(number, name, f"The column {name!r} is required."))
    return problems


def _csv_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    # Text never holds NUL bytes; an executable or image renamed .csv does.
    if b"\x00" in content[:65536]:
        raise ImportRejected([RowError(None, None, "This is not a CSV or XLSX file.")])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected(
            [RowError(None, None, "Save the CSV as UTF-8 (Excel: 'CSV UTF-8'), or upload XLSX.")]
        ) from None
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    # Rows are numbered by record, as a spreadsheet shows the file: a quoted
    # cell with line breaks is one row, though ``reader.line_num`` counts lines.
    number = 0
    try:
        for number, values in enumerate(reader, start=1):
            yield number, values
    except csv.Error as exc:
        raise ImportRejected([RowError(number + 1, None, f"Unreadable CSV: {exc}")]) from None


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise ImportRejected(
            [RowError(None, None, "The XLSX file could not be opened; save it again from Excel.")]
        ) from None
    try:
        sheet = book.worksheets[0]
        number = 0
        for cells in sheet.iter_rows():
            # The sheet's own row number where the cell carries one (read-only
            # mode pads missing rows with empty cells that do not).
            number = next((c.row for c in cells if getattr(c, "row", None)), number + 1)
            yield number, [c.value for c in cells]
    finally:
        book.close()
