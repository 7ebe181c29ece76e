"""The supplier's answer to an order revision, per line, and the buyer's response.

The buckets are those of cXML ConfirmationRequest, X12 855 and Peppol
OrderResponse: accepted, changed (a promised date, quantity or price other
than ordered), backordered, rejected. One acknowledgement per revision counts
(a unique key): a second submit of the same form changes nothing.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from baton.platform import audit
from baton.platform.db import utcnow
from baton.platform.errors import Conflict, ValidationFailed
from baton.procurement.orders.fields import date_value, decimal_value, text_value
from baton.procurement.orders.models import (
    ACK_OUTCOMES,
    ACK_SOURCES,
    POAcknowledgement,
    PurchaseOrder,
)
from baton.procurement.orders.queries import acknowledgement_of, get_for_provider
from baton.procurement.orders.states import PURCHASE_ORDER

OUTCOME_LABELS = {
    "accepted": "Accepted as ordered",
    "changed": "Accepted with changes",
    "backordered": "Backordered",
    "rejected": "Rejected",
}


class AlreadyAcknowledged(Conflict):
    """This revision has its acknowledgement; the first one counts."""


def _check_lines(po: PurchaseOrder, raw_lines: list[dict]) -> tuple[list[dict], dict]:
    errors: dict[str, str] = {}
    by_no = {str(r.get("line_no")): r for r in raw_lines if isinstance(r, dict)}
    found = []
    for line in po.lines:
        raw = by_no.get(str(line.line_no), {})
        prefix = f"lines[{line.line_no}]"
        outcome = str(raw.get("outcome") or "").strip()
        if outcome not in ACK_OUTCOMES:
            errors[f"{prefix}.outcome"] = "Choose accepted, changed, backordered or rejected."
            continue
        entry: dict[str, Any] = {"line_no": line.line_no, "outcome": outcome}
        try:
            promised = date_value(
                raw.get("promised_date"), required=outcome in ("changed", "backordered")
            )
            entry["promised_date"] = promised.isoformat() if promised else None
        except ValueError as exc:
            errors[f"{prefix}.promised_date"] = str(exc)
        for name in ("quantity", "unit_price"):
            try:
                value = decimal_value(raw.get(name), required=False)
                entry[name] = format(value, "f") if value is not None else None
            except ValueError as exc:
                errors[f"{prefix}.{name}"] = str(exc)
        try:
            entry["note"] = text_value(raw.get("note"), limit=1000, multiline=True)
        except ValueError as exc:
            errors[f"{prefix}.note"] = str(exc)
        if outcome == "rejected" and not entry.get("note"):
            errors[f"{prefix}.note"] = "Say why this line cannot be supplied."
        if outcome == "changed" and not errors:
            same_date = entry["promised_date"] == max(
                (d["date"] for d in line.schedule), default=None
            )
            same_qty = entry["quantity"] in (None,) or Decimal(entry["quantity"]) == line.quantity
            same_price = (
                entry["unit_price"] is None or Decimal(entry["unit_price"]) == line.unit_price
            )
            if same_date and same_qty and same_price:
                errors[f"{prefix}.outcome"] = "Nothing differs from the order; choose accepted."
        found.append(entry)
    return found, errors


def acknowledge(
    session: Session,
    po: PurchaseOrder,
    raw_lines: list[dict],
    *,
    source: str,
    note: str | None = None,
    entered_by_id: uuid.UUID | None = None,
) -> POAcknowledgement:
    """Record the acknowledgement of ``po``'s current revision (locked by the caller)."""
    if acknowledgement_of(session, po) is not None:
        raise AlreadyAcknowledged(
            f"Purchase order {po.number} revision {po.revision} is already acknowledged; nothing was changed."
        )
    PURCHASE_ORDER.check("acknowledge", po.status)
    if source not in ACK_SOURCES:
        raise ValidationFailed({"source": "Choose supplier link, email or phone."})
    lines, errors = _check_lines(po, raw_lines)
    try:
        note = text_value(note, limit=4000, multiline=True)
    except ValueError as exc:
        errors["note"] = str(exc)
    if errors:
        raise ValidationFailed(errors)
    changed = any(e["outcome"] != "accepted" for e in lines)
    ack = POAcknowledgement(
        id=uuid.uuid4(),
        tenant_id=po.tenant_id,
        provider_id=po.provider_id,
        po_id=po.id,
        revision=po.revision,
        source=source,
        lines=lines,
        note=note,
        entered_by_id=entered_by_id,
        changes_status="pending" if changed else None,
    )
    session.add(ack)
    session.flush()
    by_no = {line.line_no: line for line in po.lines}
    for entry in lines:
        if entry["outcome"] == "accepted":
            by_no[entry["line_no"]].promised_date = date_value(
                max((d["date"] for d in by_no[entry["line_no"]].schedule), default=None),
                required=False,
            )
    po.acknowledged_at = utcnow()
    PURCHASE_ORDER.apply(
        session,
        po,
        "acknowledge",
        changes={
            "source": [None, source],
            "outcomes": [None, ", ".join(f"line {e['line_no']} {e['outcome']}" for e in lines)],
        },
    )
    return ack


def record_for_buyer(
    session: Session,
    provider_id: uuid.UUID,
    user_id: uuid.UUID | None,
    po_id: uuid.UUID,
    raw_lines: list[dict],
    *,
    source: str,
    note: str | None,
) -> POAcknowledgement:
    """An acknowledgement the supplier gave by phone or email, entered by a buyer."""
    po = get_for_provider(session, provider_id, po_id, lock=True)
    if source == "supplier_link":
        raise ValidationFailed(
            {"source": "Choose email or phone: the supplier link is the supplier's."}
        )
    return acknowledge(session, po, raw_lines, source=source, note=note, entered_by_id=user_id)


def accept_changes(session: Session, provider_id: uuid.UUID, po_id: uuid.UUID) -> PurchaseOrder:
    """The supplier's promised dates land on the lines; a different quantity or
    price needs a change order, which the buyer raises separately."""
    po = get_for_provider(session, provider_id, po_id, lock=True)
    ack = acknowledgement_of(session, po)
    if ack is None or ack.changes_status != "pending":
        raise Conflict("There are no proposed changes waiting for you on this order.")
    by_no = {line.line_no: line for line in po.lines}
    before = {f"line {n} promised_date": line.promised_date for n, line in by_no.items()}
    for entry in ack.lines:
        if entry.get("promised_date"):
            by_no[entry["line_no"]].promised_date = date_value(entry["promised_date"])
    ack.changes_status = "accepted"
    after = {f"line {n} promised_date": line.promised_date for n, line in by_no.items()}
    audit.record(
        session,
        tenant_id=po.tenant_id,
        provider_id=po.provider_id,
        action="purchase_order.changes_accepted",
        entity_type="purchase_order",
        entity_id=po.id,
        changes=audit.diff(before, after),
    )
    return po
