"""Where a purchase order departs from the handoff it came from.

A pure comparison of a PO (header and lines) against the snapshot lines they
trace back to. Each difference is an exception the client must accept before
the order may be released. Quantity is compared across every open order of a
snapshot line, so splitting a line over several orders is no drift, but
ordering more than was handed off is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from baton.platform.formatting import money

FIELD_LABELS = {
    "supplier": "Supplier",
    "currency": "Currency",
    "payment_terms": "Payment terms",
    "incoterms": "Incoterms",
    "unit_price": "Unit price",
    "quantity": "Quantity",
    "unit": "Unit",
    "date": "Delivery date",
    "specs": "Specification revision",
}


@dataclass(frozen=True)
class Drift:
    line_no: int | None
    field: str
    snapshot_value: str | None
    po_value: str | None

    @property
    def label(self) -> str:
        where = f"Line {self.line_no}: " if self.line_no is not None else ""
        return where + FIELD_LABELS.get(self.field, self.field)


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _same_decimal(a: Any, b: Any) -> bool:
    if a in (None, "") or b in (None, ""):
        return a in (None, "") and b in (None, "")
    return Decimal(str(a)) == Decimal(str(b))


def _spec_text(specs: list[dict]) -> str:
    return ", ".join(
        f"{s['document_number']} rev {s['revision_no']}"
        for s in sorted(specs, key=lambda s: (s["document_number"], s["revision_no"]))
    )


def header_drift(po: Any, snapshot_payload: dict) -> list[Drift]:
    found = []
    sourced = snapshot_payload.get("supplier") or {}
    if str(po.supplier_id) != str(sourced.get("id")):
        found.append(
            Drift(None, "supplier", sourced.get("name"), getattr(po, "supplier_name", None))
        )
    header = snapshot_payload["requirement"]
    for name in ("currency", "payment_terms", "incoterms"):
        if (_text(getattr(po, name)) or None) != (_text(header.get(name)) or None):
            found.append(Drift(None, name, _text(header.get(name)), _text(getattr(po, name))))
    return found


def line_drift(line: Any, snap_line: dict, ordered_in_total: Decimal) -> list[Drift]:
    """``ordered_in_total``: this snapshot line's quantity over every open order,
    this one included."""
    found = []
    n = line.line_no
    if not _same_decimal(line.unit_price, snap_line.get("unit_price")):
        found.append(
            Drift(n, "unit_price", money(snap_line.get("unit_price")), money(line.unit_price))
        )
    handed = Decimal(str(snap_line.get("quantity") or 0))
    if ordered_in_total > handed:
        found.append(Drift(n, "quantity", _text(handed), _text(ordered_in_total)))
    if (line.unit or None) != (snap_line.get("unit") or None):
        found.append(Drift(n, "unit", snap_line.get("unit"), line.unit))
    need_by = snap_line.get("need_by")
    if need_by:
        latest = max((date.fromisoformat(d["date"]) for d in line.schedule), default=None)
        if latest is not None and latest > date.fromisoformat(need_by):
            found.append(Drift(n, "date", need_by, latest.isoformat()))
    wanted = {s["revision_id"] for s in snap_line.get("specs", [])}
    bound = {s["revision_id"] for s in line.specs or []}
    if wanted != bound:
        found.append(
            Drift(n, "specs", _spec_text(snap_line.get("specs", [])), _spec_text(line.specs or []))
        )
    return found
