"""Lines a change order adds to or removes from a released order.

A change order may drop a line nothing was received on (the quantity goes
back to the handoff, ready to order elsewhere) and add lines of accepted
handoffs of the same client, supplier and currency, as a draft takes them
(``drafting.ready_lines``). In the proposal a dropped line stays with
``"removed": true`` so the diff, the client and the audit trail say so; an
added line carries ``"added"``: where it comes from and what it is. Line
numbers are never reused: an added line takes the next number after every
line the order has ever had, so "line 3" means one thing across revisions.
Releasing writes both onto the order (``apply``), checked again then, since a
draft may wait while the same handoff lines are ordered elsewhere.
"""

from __future__ import annotations

import contextlib
import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.procurement.orders.change_models import PORevision
from baton.procurement.orders.drafting import ReadyLine, ready_lines
from baton.procurement.orders.models import POLine, PurchaseOrder

MAX_ADDED = 50


def _dec(value: Any) -> str:
    return format(Decimal(str(value)).normalize(), "f")


def truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("1", "true", "on", "yes")


def describe(line: dict, po_line: POLine | None = None) -> str:
    """A line in words for the diff: "250 ea 1053 Bearing 6204 at 4.1"."""
    added = line.get("added") or {}
    item = po_line.item_code if po_line is not None else added.get("item_code")
    text = po_line.description if po_line is not None else added.get("description", "")
    unit = po_line.unit if po_line is not None else added.get("unit", "ea")
    what = " ".join(filter(None, (item, text)))
    return f"{line['quantity']} {unit} {what} at {line['unit_price']}"


def next_line_no(session: Session, po: PurchaseOrder, lines: list[dict]) -> int:
    """One past every line number the order or any of its revisions has used."""
    used = {line.line_no for line in po.lines} | {line["line_no"] for line in lines}
    frozen = session.scalars(
        sa.select(PORevision.lines).where(
            PORevision.tenant_id == po.tenant_id, PORevision.po_id == po.id
        )
    )
    for revision_lines in frozen:
        used |= {int(line["line_no"]) for line in revision_lines or []}
    return max(used, default=0) + 1


def addable(
    session: Session, po: PurchaseOrder, lines: list[dict] | None = None
) -> list[ReadyLine]:
    """Handoff lines this order could take: ready to order, of its client,
    supplier and currency, and not on the order (or the proposal) already."""
    taken = {str(line.requirement_line_id) for line in po.lines}
    taken |= {(line.get("added") or {}).get("requirement_line_id") for line in lines or []}
    return [
        r
        for r in ready_lines(session, po.provider_id)
        if r.requirement.tenant_id == po.tenant_id
        and (r.snapshot.payload.get("supplier") or {}).get("id") == str(po.supplier_id)
        and r.snapshot.payload["requirement"]["currency"] == po.currency
        and r.line["line_id"] not in taken
    ]


def _ready_by_key(session: Session, po: PurchaseOrder, keys: set[str]) -> dict[str, ReadyLine]:
    ids = set()
    for key in keys:
        with contextlib.suppress(ValueError):
            ids.add(uuid.UUID(key.partition(":")[0]))
    if not ids:
        return {}
    return {r.key: r for r in ready_lines(session, po.provider_id, ids)}


def _proposed_from(ready: ReadyLine, line_no: int) -> dict:
    line, remaining = ready.line, ready.remaining
    return {
        "line_no": line_no,
        "quantity": _dec(remaining),
        "unit_price": _dec(line.get("unit_price") or 0),
        "schedule": [{"date": line["need_by"], "quantity": _dec(remaining)}]
        if line.get("need_by")
        else [],
        "specs": [
            {k: s[k] for k in ("revision_id", "document_number", "revision_no")}
            for s in line.get("specs", [])
        ],
        "added": {
            "key": ready.key,
            "requirement_id": str(ready.requirement.id),
            "requirement_line_id": line["line_id"],
            "snapshot_id": str(ready.snapshot.id),
            "client_reference": ready.requirement.client_reference,
            "item_code": line.get("item_code"),
            "description": line["description"],
            "unit": line.get("unit") or "ea",
        },
    }


def add(
    session: Session, po: PurchaseOrder, lines: list[dict], raw_keys: Any, errors: dict
) -> list[dict]:
    """``lines`` with the handoff lines named by ``raw_keys`` appended."""
    if isinstance(raw_keys, str):
        raw_keys = [raw_keys]
    keys = [str(k).strip() for k in raw_keys or [] if str(k).strip()]
    if not keys:
        return lines
    if len(keys) > MAX_ADDED:
        errors["add"] = f"Add at most {MAX_ADDED} lines in one change order."
        return lines
    allowed = {r.key for r in addable(session, po, lines)}
    ready = _ready_by_key(session, po, set(keys))
    found = []
    for key in dict.fromkeys(keys):
        if key not in ready or key not in allowed:
            errors["add"] = (
                "Choose lines of accepted handoffs of this order's client, supplier and"
                " currency that are not on it already."
            )
            return lines
        found.append(ready[key])
    number = next_line_no(session, po, lines)
    return lines + [_proposed_from(r, number + i) for i, r in enumerate(found)]


def check(po: PurchaseOrder, lines: list[dict], errors: dict) -> None:
    """A line goes only if nothing was received on it; an added line needs a quantity."""
    received = {line.line_no: line.received_quantity for line in po.lines}
    for line in lines:
        no = line["line_no"]
        if line.get("removed") and received.get(no, 0) > 0:
            errors[f"lines[{no}]"] = (
                f"Line {no} has {_dec(received[no])} received already; lower its quantity to"
                f" {_dec(received[no])} to close it short instead."
            )
        if (
            line.get("added")
            and Decimal(line["quantity"]) <= 0
            and f"lines[{no}].quantity" not in errors
        ):
            errors[f"lines[{no}].quantity"] = "An added line orders more than 0."


def still_ready(session: Session, po: PurchaseOrder, lines: list[dict]) -> dict[str, str]:
    """At release: each added handoff line must still be there to order."""
    added = {line["added"]["key"]: line for line in lines if line.get("added")}
    ready = _ready_by_key(session, po, set(added))
    return {
        f"lines[{line['line_no']}]": (
            f"Line {line['line_no']} ({line['added']['description']}) was ordered elsewhere since;"
            " remove it from this change order."
        )
        for key, line in added.items()
        if key not in ready
    }


def apply(session: Session, po: PurchaseOrder, lines: list[dict]) -> None:
    """Write the proposal's removals and additions onto the order's lines."""
    removed = {line["line_no"] for line in lines if line.get("removed")}
    for line in [line for line in po.lines if line.line_no in removed]:
        po.lines.remove(line)  # delete-orphan: the row goes; revision n keeps it frozen
    for new in lines:
        added = new.get("added")
        if not added:
            continue
        po.lines.append(
            POLine(
                id=uuid.uuid4(),
                tenant_id=po.tenant_id,
                provider_id=po.provider_id,
                po_id=po.id,
                line_no=new["line_no"],
                requirement_id=uuid.UUID(added["requirement_id"]),
                requirement_line_id=uuid.UUID(added["requirement_line_id"]),
                snapshot_id=uuid.UUID(added["snapshot_id"]),
                item_code=added.get("item_code"),
                description=added["description"],
                quantity=Decimal(new["quantity"]),
                unit=added.get("unit") or "ea",
                unit_price=Decimal(new["unit_price"]),
                schedule=new["schedule"],
                specs=new["specs"],
            )
        )
    po.lines.sort(key=lambda line: line.line_no)
