"""The frozen handoff packet: its payload, canonical JSON, digest and diffs.

The canonical form is what the SHA-256 covers: keys sorted, no whitespace,
money and quantities as plain decimal strings (``12.5``, never a float),
dates and times in ISO 8601. The payload stored in the database is already
in that form, so recomputing the digest from the row proves it unchanged.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from baton.sourcing.requirements import readiness

if TYPE_CHECKING:
    from baton.sourcing.requirements.models import Requirement, RequirementLine
    from baton.sourcing.suppliers.models import Supplier

SCHEMA_VERSION = 1
HEADER_FIELDS = (
    "client_reference",
    "title",
    "currency",
    "payment_terms",
    "incoterms",
    "quote_reference",
    "quote_valid_until",
    "ship_to",
    "sourcing_notes",
    "assumptions",
    "priority",
)
LINE_FIELDS = (
    "item_code",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "need_by",
    "spec_required",
)
# Facts about the submission itself, not about what is to be bought.
META_KEYS = ("version", "submitted_at", "submitted_by", "schema")


def decimal_text(value: Decimal) -> str:
    """``12.5000`` and ``12.5`` are the same price; both become ``12.5``."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def normalise(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    if isinstance(value, float):
        raise TypeError("floats have no place in a handoff packet; use Decimal")
    return value


def canonical_json(payload: dict) -> str:
    return json.dumps(normalise(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(payload: dict) -> str:
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def build_payload(
    *,
    requirement: Requirement,
    lines: list[RequirementLine],
    specs_by_line: dict[uuid.UUID, list[dict]],
    supplier: Supplier | None,
    client_name: str,
    provider_name: str,
    version: int,
    submitted_at: datetime,
    submitted_by: str | None,
) -> dict:
    """Everything a buyer needs, copied so later edits cannot change it."""
    payload = {
        "schema": SCHEMA_VERSION,
        "version": version,
        "submitted_at": submitted_at,
        "submitted_by": submitted_by,
        "requirement_id": requirement.id,
        "engagement_id": requirement.engagement_id,
        "client": {"id": requirement.tenant_id, "name": client_name},
        "provider": {"id": requirement.provider_id, "name": provider_name},
        "requirement": {name: getattr(requirement, name) for name in HEADER_FIELDS},
        "supplier": None
        if supplier is None
        else {
            "id": supplier.id,
            "code": supplier.code,
            "name": supplier.name,
            "currency": supplier.currency,
            "qualification_status": supplier.qualification_status,
            "qualified_until": supplier.qualified_until,
        },
        "lines": [
            {
                "line_id": line.id,
                "line_no": line.line_no,
                **{name: getattr(line, name) for name in LINE_FIELDS},
                "specs": sorted(
                    specs_by_line.get(line.id, []),
                    key=lambda s: (s["document_number"], s["revision_no"]),
                ),
            }
            for line in sorted(lines, key=lambda item: item.line_no)
        ],
    }
    return json.loads(canonical_json(payload))


def _parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _parse_decimal(value: str | None) -> Decimal | None:
    return Decimal(value) if value not in (None, "") else None


def facts(payload: dict, current_supplier: Supplier | None = None) -> readiness.RequirementFacts:
    """Readiness facts of a frozen packet. The supplier's qualification is read
    from today's supplier row when given: a lapse after submission still counts."""
    header = payload["requirement"]
    frozen = payload.get("supplier")
    supplier = None
    if current_supplier is not None:
        supplier = supplier_facts(current_supplier)
    elif frozen is not None:
        supplier = readiness.SupplierFacts(
            name=frozen["name"],
            currency=frozen["currency"],
            qualification_status=frozen["qualification_status"],
            qualified_until=_parse_date(frozen["qualified_until"]),
        )
    return readiness.RequirementFacts(
        currency=header["currency"],
        supplier=supplier,
        quote_reference=header["quote_reference"],
        quote_valid_until=_parse_date(header["quote_valid_until"]),
        ship_to=header["ship_to"],
        lines=tuple(
            readiness.LineFacts(
                line_no=line["line_no"],
                description=line["description"],
                quantity=_parse_decimal(line["quantity"]),
                unit=line["unit"],
                unit_price=_parse_decimal(line["unit_price"]),
                need_by=_parse_date(line["need_by"]),
                spec_required=bool(line["spec_required"]),
                spec_count=len(line["specs"]),
            )
            for line in payload["lines"]
        ),
    )


def supplier_facts(supplier: Supplier) -> readiness.SupplierFacts:
    return readiness.SupplierFacts(
        name=supplier.name,
        currency=supplier.currency,
        qualification_status=supplier.qualification_status,
        qualified_until=supplier.qualified_until,
    )


def spec_label(spec: dict) -> str:
    return f"{spec['document_number']} rev {spec['revision_no']}"


def flatten(payload: dict) -> dict[str, Any]:
    """Field paths a person can read: ``title``, ``supplier``, ``lines[2].unit_price``.

    The same paths name readiness findings and return reasons, so a diff, a
    finding and a reason about one field line up on the page.
    """
    flat: dict[str, Any] = {}
    for name in HEADER_FIELDS:
        flat[name] = payload["requirement"].get(name)
    supplier = payload.get("supplier")
    flat["supplier_id"] = f"{supplier['name']} ({supplier['code']})" if supplier else None
    flat["provider"] = payload["provider"]["name"]
    for line in payload["lines"]:
        prefix = f"lines[{line['line_no']}]"
        for name in LINE_FIELDS:
            flat[f"{prefix}.{name}"] = line.get(name)
        flat[f"{prefix}.specs"] = ", ".join(spec_label(s) for s in line["specs"]) or None
    return flat


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"


def diff(older: dict, newer: dict) -> list[Change]:
    before, after = flatten(older), flatten(newer)
    return [
        Change(key, before.get(key), after.get(key))
        for key in sorted(set(before) | set(after), key=_path_order)
        if before.get(key) != after.get(key)
    ]


def _path_order(path: str) -> tuple:
    """Header fields first, then lines by number, then field order within a line."""
    if path.startswith("lines["):
        number, _, rest = path[len("lines[") :].partition("].")
        order = LINE_FIELDS + ("specs",)
        return (1, int(number), order.index(rest) if rest in order else len(order), rest)
    order = ("provider", "supplier_id") + HEADER_FIELDS
    return (0, 0, order.index(path) if path in order else len(order), path)


FIELD_LABELS = {
    "client_reference": "Reference",
    "title": "Title",
    "provider": "Provider",
    "engagement_id": "Provider",
    "supplier_id": "Supplier",
    "currency": "Currency",
    "payment_terms": "Payment terms",
    "incoterms": "Incoterms",
    "quote_reference": "Quote reference",
    "quote_valid_until": "Quote valid until",
    "ship_to": "Ship to",
    "sourcing_notes": "Sourcing notes",
    "assumptions": "Assumptions",
    "priority": "Priority",
    "lines": "Lines",
    "item_code": "item code",
    "description": "description",
    "quantity": "quantity",
    "unit": "unit",
    "unit_price": "unit price",
    "need_by": "need-by date",
    "spec_required": "needs a specification",
    "specs": "specifications",
}


def field_label(path: str) -> str:
    """``lines[2].unit_price`` -> ``Line 2 unit price``."""
    if path.startswith("lines["):
        number, _, rest = path[len("lines[") :].partition("]")
        rest = rest.lstrip(".")
        return f"Line {number} {FIELD_LABELS.get(rest, rest)}".strip()
    return FIELD_LABELS.get(path, path.replace("_", " ").capitalize())
