"""What a change order proposes, checked and compared with the revision in force.

A proposal is plain JSON: the order's four header fields and, per line, its
quantity, unit price, delivery schedule and specification revisions. These
functions read a proposal from input (every value normalised, so an
unchanged value is no change), check it against the order (a line never goes
below what was already received), and make the field-level diff that the
buyer, the client and the audit trail read.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.procurement.orders import change_lines
from baton.procurement.orders.drafting import _schedule
from baton.procurement.orders.fields import decimal_value, text_value
from baton.procurement.orders.models import PurchaseOrder
from baton.sourcing.documents.models import Document, DocumentRevision

HEADER_FIELDS = ("ship_to", "payment_terms", "incoterms", "notes")
LINE_FIELDS = ("quantity", "unit_price", "schedule", "specs")
LABELS = {
    "ship_to": "Ship to",
    "payment_terms": "Payment terms",
    "incoterms": "Incoterms",
    "notes": "Notes",
    "quantity": "Quantity",
    "unit_price": "Unit price",
    "schedule": "Deliveries",
    "specs": "Specifications",
    "total": "Order total",
}
HEADER_LIMITS = {
    "ship_to": (2000, True),
    "payment_terms": (100, False),
    "incoterms": (3, False),
    "notes": (5000, True),
}


def _dec(value: Any) -> str:
    return format(Decimal(str(value)).normalize(), "f")


def line_state(line: Any) -> dict[str, Any]:
    return {
        "line_no": line.line_no,
        "quantity": _dec(line.quantity),
        "unit_price": _dec(line.unit_price),
        "schedule": [
            {"date": d["date"], "quantity": _dec(d["quantity"])} for d in line.schedule or []
        ],
        "specs": [
            {k: s[k] for k in ("revision_id", "document_number", "revision_no")}
            for s in line.specs or []
        ],
    }


def current_proposal(po: PurchaseOrder) -> tuple[dict, list[dict]]:
    """The revision in force as a proposal: where every change order starts."""
    header = {name: getattr(po, name) for name in HEADER_FIELDS}
    return header, [line_state(line) for line in po.lines]


def schedule_text(schedule: list[dict]) -> str | None:
    return ", ".join(f"{d['quantity']} on {d['date']}" for d in schedule) or None


def specs_text(specs: list[dict]) -> str | None:
    return (
        ", ".join(
            f"{s['document_number']} rev {s['revision_no']}"
            for s in sorted(specs, key=lambda s: (s["document_number"], int(s["revision_no"])))
        )
        or None
    )


def _shown(field: str, value: Any) -> str | None:
    if field == "schedule":
        return schedule_text(value)
    if field == "specs":
        return specs_text(value)
    if value is None or value == "":
        return None
    return str(value)


def proposal_total(lines: list[dict]) -> Decimal:
    return sum(
        (
            (Decimal(line["quantity"]) * Decimal(line["unit_price"])).quantize(Decimal("0.01"))
            for line in lines
            if not line.get("removed")
        ),
        Decimal(0),
    )


def diff(po: PurchaseOrder, header: dict, lines: list[dict]) -> list[dict]:
    """Field by field, before → after, header first then each line."""
    found = []
    cur_header, cur_lines = current_proposal(po)
    for name in HEADER_FIELDS:
        if (cur_header.get(name) or None) != (header.get(name) or None):
            found.append(
                {
                    "line_no": None,
                    "field": name,
                    "label": LABELS[name],
                    "before": _shown(name, cur_header.get(name)),
                    "after": _shown(name, header.get(name)),
                }
            )
    proposed = {line["line_no"]: line for line in lines}
    po_lines = {line.line_no: line for line in po.lines}
    for cur in cur_lines:
        new = proposed.get(cur["line_no"], cur)
        if new.get("removed"):
            found.append(
                _line_entry(
                    cur["line_no"], change_lines.describe(cur, po_lines[cur["line_no"]]), "Removed"
                )
            )
            continue
        for name in LINE_FIELDS:
            before, after = _shown(name, cur[name]), _shown(name, new[name])
            if before != after:
                found.append(
                    {
                        "line_no": cur["line_no"],
                        "field": name,
                        "label": f"Line {cur['line_no']}: {LABELS[name]}",
                        "before": before,
                        "after": after,
                    }
                )
    for line in lines:
        if line.get("added"):
            found.append(
                _line_entry(line["line_no"], None, "Added: " + change_lines.describe(line))
            )
    before, after = po.total, proposal_total(lines)
    if found and before != after:
        found.append(
            {
                "line_no": None,
                "field": "total",
                "label": LABELS["total"],
                "before": f"{before:.2f}",
                "after": f"{after:.2f}",
            }
        )
    return found


def _line_entry(line_no: int, before: str | None, after: str) -> dict:
    return {
        "line_no": line_no,
        "field": "line",
        "label": f"Line {line_no}",
        "before": before,
        "after": after,
    }


def spec_revisions(
    session: Session, tenant_id: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, dict]:
    """Client specification revisions by id, as a line names them; one query."""
    if not ids:
        return {}
    rows = session.execute(
        sa.select(DocumentRevision.id, DocumentRevision.revision_no, Document.number)
        .join(
            Document,
            sa.and_(
                Document.id == DocumentRevision.document_id,
                Document.tenant_id == DocumentRevision.tenant_id,
            ),
        )
        .where(
            DocumentRevision.tenant_id == tenant_id,
            DocumentRevision.id.in_(ids),
            Document.provider_id.is_(None),  # the client's documents, never a PO's PDF
        )
    )
    return {
        rid: {"revision_id": str(rid), "document_number": number, "revision_no": no}
        for rid, no, number in rows
    }


def document_revisions(session: Session, tenant_id: uuid.UUID, numbers: set[str]) -> dict:
    """Every revision of the named client documents: number -> [(revision_no, id)], newest first."""
    if not numbers:
        return {}
    rows = session.execute(
        sa.select(Document.number, DocumentRevision.revision_no, DocumentRevision.id)
        .join(
            DocumentRevision,
            sa.and_(
                Document.id == DocumentRevision.document_id,
                Document.tenant_id == DocumentRevision.tenant_id,
            ),
        )
        .where(
            Document.tenant_id == tenant_id,
            Document.number.in_(numbers),
            Document.provider_id.is_(None),
        )
        .order_by(Document.number, DocumentRevision.revision_no.desc())
    )
    found: dict[str, list] = {}
    for number, no, rid in rows:
        found.setdefault(number, []).append((no, rid))
    return found


def read_proposal(
    session: Session, po: PurchaseOrder, base: tuple[dict, list[dict]], data: dict
) -> tuple[dict, list[dict], dict[str, str]]:
    """``base`` with the edits in ``data`` applied; every error named by its field."""
    header, lines = dict(base[0]), [dict(line) for line in base[1]]
    errors: dict[str, str] = {}
    for name, (limit, multiline) in HEADER_LIMITS.items():
        if name in data:
            try:
                header[name] = text_value(data[name], limit=limit, multiline=multiline)
            except ValueError as exc:
                errors[name] = str(exc)
    if header.get("incoterms"):
        header["incoterms"] = header["incoterms"].upper()
    by_no = {line["line_no"]: line for line in lines}
    po_lines = {line.line_no: line for line in po.lines}
    wanted_specs: dict[int, list] = {}
    for raw in data.get("lines") or []:
        try:
            no = int(raw.get("line_no"))
        except (TypeError, ValueError, AttributeError):
            errors["lines"] = "Each line edit names its line_no."
            continue
        prefix = f"lines[{no}]"
        if no not in by_no:
            errors[prefix] = f"This order has no line {no}."
            continue
        line = by_no[no]
        if "remove" in raw and change_lines.truthy(raw["remove"]):
            if line.get("added"):
                del by_no[no]  # an added line dropped again is simply not added
            else:
                line["removed"] = True
            continue
        if "remove" in raw:
            line.pop("removed", None)
        try:
            if "quantity" in raw:
                line["quantity"] = _dec(decimal_value(raw["quantity"]))
        except ValueError as exc:
            errors[f"{prefix}.quantity"] = str(exc)
        try:
            if "unit_price" in raw:
                line["unit_price"] = _dec(decimal_value(raw["unit_price"]))
        except ValueError as exc:
            errors[f"{prefix}.unit_price"] = str(exc)
        if "schedule" in raw and f"{prefix}.quantity" not in errors:
            line["schedule"] = _schedule(raw["schedule"], Decimal(line["quantity"]), prefix, errors)
        elif "quantity" in raw and len(line["schedule"]) == 1:
            line["schedule"] = [{"date": line["schedule"][0]["date"], "quantity": line["quantity"]}]
        if "specs" in raw:
            wanted_specs[no] = list(raw.get("specs") or [])
    ids: dict[int, list[uuid.UUID]] = {}
    for no, raw_ids in wanted_specs.items():
        try:
            ids[no] = [uuid.UUID(str(r)) for r in raw_ids if str(r).strip()]
        except ValueError:
            errors[f"lines[{no}].specs"] = "Choose specification revisions from the list."
    known = spec_revisions(session, po.tenant_id, {i for v in ids.values() for i in v})
    for no, chosen in ids.items():
        if any(i not in known for i in chosen):
            errors[f"lines[{no}].specs"] = "Choose specification revisions from the list."
            continue
        numbers = [known[i]["document_number"] for i in chosen]
        if len(set(numbers)) != len(numbers):
            errors[f"lines[{no}].specs"] = "Bind one revision of each document."
            continue
        by_no[no]["specs"] = [known[i] for i in chosen]
    lines = change_lines.add(
        session, po, [by_no[no] for no in sorted(by_no)], data.get("add"), errors
    )
    for line in lines:
        no = line["line_no"]
        received = po_lines[no].received_quantity if no in po_lines else Decimal(0)
        if line.get("removed"):
            continue
        if f"lines[{no}].quantity" not in errors and Decimal(line["quantity"]) < received:
            errors[f"lines[{no}].quantity"] = (
                f"Line {no} has {_dec(received)} received already; it cannot go below that."
            )
    change_lines.check(po, lines, errors)
    if not errors and all(
        line.get("removed")
        or Decimal(line["quantity"])
        <= (po_lines[line["line_no"]].received_quantity if line["line_no"] in po_lines else 0)
        for line in lines
    ):
        errors["lines"] = "Nothing would be left to deliver; close or cancel the order instead."
    return header, lines, errors


def as_order(po: PurchaseOrder, header: dict, lines: list[dict]) -> SimpleNamespace:
    """The order as the proposal would make it, for the drift comparison."""
    proposed = {line["line_no"]: line for line in lines}
    return SimpleNamespace(
        supplier_id=po.supplier_id,
        supplier_name=getattr(po, "supplier_name", None),
        currency=po.currency,
        status=po.status,
        **{name: header.get(name) for name in HEADER_FIELDS},
        lines=[
            SimpleNamespace(
                line_no=line.line_no,
                snapshot_id=line.snapshot_id,
                requirement_line_id=line.requirement_line_id,
                unit=line.unit,
                quantity=Decimal(proposed[line.line_no]["quantity"]),
                unit_price=Decimal(proposed[line.line_no]["unit_price"]),
                schedule=proposed[line.line_no]["schedule"],
                specs=proposed[line.line_no]["specs"],
            )
            for line in po.lines
            if line.line_no in proposed and not proposed[line.line_no].get("removed")
        ]
        + [
            SimpleNamespace(
                line_no=line["line_no"],
                snapshot_id=uuid.UUID(line["added"]["snapshot_id"]),
                requirement_line_id=uuid.UUID(line["added"]["requirement_line_id"]),
                unit=line["added"].get("unit") or "ea",
                quantity=Decimal(line["quantity"]),
                unit_price=Decimal(line["unit_price"]),
                schedule=line["schedule"],
                specs=line["specs"],
            )
            for line in lines
            if line.get("added")
        ],
    )
