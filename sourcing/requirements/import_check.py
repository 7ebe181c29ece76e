"""Checking a requirement import file, every row before anything is written.

Cells are parsed as spreadsheets give them (numbers with a decimal comma,
dates as cells or ISO text), rows are grouped by ``client_reference`` into
requirements, and each is put through the same draft rules as the form, and,
when the file is to be handed off, the readiness check. Every problem comes
back as a ``RowError`` with the row a spreadsheet shows and the column.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.db import utc_today
from baton.platform.errors import ValidationFailed
from baton.platform.file_import import RowError
from baton.sourcing.documents import services as documents
from baton.sourcing.documents.models import Document, DocumentRevision
from baton.sourcing.requirements import drafts, handoff
from baton.sourcing.requirements.import_file import (
    COLUMNS,
    FALSE,
    FIELD_COLUMNS,
    HEADER_COLUMNS,
    TRUE,
    Table,
)
from baton.sourcing.requirements.models import PRIORITIES, Requirement
from baton.sourcing.suppliers.models import INCOTERMS, Supplier
from baton.tenants.models import Engagement, Organisation

PROGRESS_EVERY = 250

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
    *,
    submit: bool = False,
    accept_warnings: bool = False,
) -> tuple[list[_Group], list[drafts._Checked], drafts.Lookups, list[RowError]]:
    """Every problem in the file, or the checked requirements ready to write.

    With ``submit`` a requirement's readiness findings are problems too, as at
    any handoff: hard failures always, warnings unless ``accept_warnings``."""
    today = utc_today()
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
        refusal = submit and handoff.readiness_refusal(
            drafts.readiness_of(result, today), accept_warnings
        )
        if refusal:
            found = dict(refusal.errors)
            if found.pop(handoff.ACCEPT_WARNINGS, None):
                found["_warnings"] = (
                    f'{group.reference} has warnings: tick "Hand off despite the warnings"'
                    " to hand it off with them, or import it as a draft."
                )
            errors.extend(_locate(group, found))
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
        if path.startswith("_"):  # about the requirement as a whole
            out.append(RowError(group.first_row, None, message))
        elif path.startswith("lines["):
            number, _, rest = path[len("lines[") :].partition("]")
            index = int(number) - 1
            row = group.line_rows[index] if 0 <= index < len(group.line_rows) else group.first_row
            name = rest.lstrip(".") or None
            out.append(RowError(row, FIELD_COLUMNS.get(name, name), message))
        else:
            name = FIELD_COLUMNS.get(path, path)
            out.append(RowError(group.header_rows.get(name, group.first_row), name, message))
    return out
