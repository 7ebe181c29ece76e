"""Lists as CSV or XLSX downloads, safe to open in a spreadsheet.

A cell of text that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or a
carriage return, which some spreadsheets skip before reading one of those) is
a formula to Excel and LibreOffice: a supplier named ``=HYPERLINK(...)``
would run in the buyer's spreadsheet. CSV has no types, so such text gets a
leading single quote (the spreadsheets' own "this is text" mark); XLSX has
them, so the text is written as a string cell, never as a formula. Numbers
stay numbers (a quantity of -5 is not text), and times are shown in the
organisation's time zone, as on the pages.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from baton.platform.errors import ValidationFailed

FORMATS = ("csv", "xlsx")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# More rows than this is not a list to read in a spreadsheet; the page says so.
MAX_ROWS = 10_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def format_from(args: Any) -> str:
    """``?format=`` of an export link: csv (the default) or xlsx."""
    fmt = (args.get("format") or "csv").strip().lower()
    if fmt not in FORMATS:
        raise ValidationFailed({"format": "Choose csv or xlsx."})
    return fmt


def neutralised(text: str) -> str:
    """The CSV form of a text cell: a would-be formula gets a leading quote."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _zone(tz_name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local(value: datetime, zone: ZoneInfo) -> datetime:
    """Naive local time: XLSX has no time zones, and the sheet says which one."""
    if value.tzinfo is not None:
        value = value.astimezone(zone)
    return value.replace(tzinfo=None, microsecond=0)


def _csv_cell(value: Any, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return _local(value, zone).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, int | float):
        return str(value)
    return neutralised(str(value))


def _xlsx_cell(sheet, value: Any, zone: ZoneInfo) -> WriteOnlyCell:
    if isinstance(value, bool):
        value = "yes" if value else "no"
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=_local(value, zone))
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if value is None or isinstance(value, int | float | Decimal):
        return WriteOnlyCell(sheet, value=value)
    cell = WriteOnlyCell(sheet, value=str(value))
    # openpyxl makes any text starting with "=" a formula; this keeps it text.
    cell.data_type = "s"
    return cell


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], tz_name: str | None) -> bytes:
    zone = _zone(tz_name)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralised(h) for h in header])
    for row in rows:
        writer.writerow([_csv_cell(v, zone) for v in row])
    # The BOM makes Excel read UTF-8 (Präzisionsteile, not PrÃ¤zisionsteile).
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(
    title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], tz_name: str | None
) -> bytes:
    zone = _zone(tz_name)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append([_xlsx_cell(sheet, h, zone) for h in header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v, zone) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_response(
    fmt: str,
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    tz_name: str | None,
) -> Response:
    """``fmt`` is one of FORMATS (the caller has checked it); ``filename`` has no
    extension. The answer is a download that no cache keeps."""
    if fmt == "xlsx":
        body, mimetype = xlsx_bytes(filename, header, rows, tz_name), XLSX_TYPE
    else:
        body, mimetype = csv_bytes(header, rows, tz_name), "text/csv; charset=utf-8"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
