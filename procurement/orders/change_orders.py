"""Starting, editing and withdrawing a change order on a released order.

One change order is open per order at a time (the order's row is locked while
it is made), so two buyers cannot prepare two competing revision n+1s. Edits
carry the version they read, as a draft's do: a stale save is a conflict.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform import audit
from baton.platform.db import utcnow
from baton.platform.errors import Conflict, NotFound, ValidationFailed
from baton.platform.workflow import PROVIDER
from baton.procurement.orders import change_proposals as proposals
from baton.procurement.orders.change_models import CHANGE_CAUSES, POChangeOrder
from baton.procurement.orders.change_states import CHANGE_ORDER
from baton.procurement.orders.fields import text_value
from baton.procurement.orders.models import PurchaseOrder
from baton.procurement.orders.queries import acknowledgement_of, get_for_provider
from baton.procurement.orders.states import PURCHASE_ORDER

CAUSE_LABELS = {
    "engineering_change": "Engineering change",
    "supplier_change": "Supplier's change",
    "client_change": "Client's change",
}


def changes_of(session: Session, po: PurchaseOrder) -> list[POChangeOrder]:
    return list(
        session.scalars(
            sa.select(POChangeOrder)
            .where(POChangeOrder.tenant_id == po.tenant_id, POChangeOrder.po_id == po.id)
            .order_by(POChangeOrder.number.desc())
        )
    )


def open_change(session: Session, po: PurchaseOrder) -> POChangeOrder | None:
    return next(
        (c for c in changes_of(session, po) if CHANGE_ORDER.in_group("open", c.status)), None
    )


def get_change(
    session: Session, po: PurchaseOrder, change_id: uuid.UUID, *, lock: bool = False
) -> POChangeOrder:
    stmt = sa.select(POChangeOrder).where(
        POChangeOrder.tenant_id == po.tenant_id,
        POChangeOrder.po_id == po.id,
        POChangeOrder.id == change_id,
    )
    if lock:
        stmt = stmt.with_for_update()
    change = session.scalar(stmt)
    if change is None:
        raise NotFound("No such change order.")
    return change


def _check_text(cause: Any, reason: Any, errors: dict) -> tuple[str | None, str | None]:
    cause = str(cause or "").strip()
    if cause not in CHANGE_CAUSES:
        errors["cause"] = "Choose engineering change, supplier's change or client's change."
    try:
        reason = text_value(reason, limit=2000, multiline=True, required=True)
    except ValueError:
        errors["reason"] = "Say why the order changes; the client and the supplier read it."
        reason = None
    return cause, reason


def _record(session: Session, change: POChangeOrder, action: str, changes: dict) -> None:
    audit.record(
        session,
        tenant_id=change.tenant_id,
        provider_id=change.provider_id,
        action=f"change_order.{action}",
        entity_type="change_order",
        entity_id=change.id,
        changes=changes,
    )


def start(
    session: Session,
    provider_id: uuid.UUID,
    user_id: uuid.UUID | None,
    po_id: uuid.UUID,
    *,
    cause: Any,
    reason: Any,
    edits: dict | None = None,
    counter: bool = False,
) -> POChangeOrder:
    """A change order on ``po_id``'s revision in force, with ``edits`` applied; with
    ``counter``, prefilled from the supplier's proposed changes, which it answers."""
    po = get_for_provider(session, provider_id, po_id, lock=True)
    if not PURCHASE_ORDER.in_group("changeable", po.status):
        raise Conflict(
            f"{po.number} is {PURCHASE_ORDER.label(po.status).lower()}; only a released order"
            " not yet fully received can be changed."
        )
    existing = open_change(session, po)
    if existing is not None:
        raise Conflict(
            f"Change order {existing.number} of {po.number} is still open; release or withdraw it first."
        )
    errors: dict[str, str] = {}
    cause, reason = _check_text(cause, reason, errors)
    ack = None
    edits = dict(edits or {})
    if counter:
        ack = acknowledgement_of(session, po)
        if ack is None or ack.changes_status != "pending":
            raise Conflict("There are no proposed changes of the supplier's to counter.")
        edits.setdefault("lines", counter_edits(po, ack.lines))
    header, lines, more = proposals.read_proposal(
        session, po, proposals.current_proposal(po), edits
    )
    errors |= more
    if errors:
        raise ValidationFailed(errors)
    number = 1 + max((c.number for c in changes_of(session, po)), default=0)
    change = POChangeOrder(
        id=uuid.uuid4(),
        tenant_id=po.tenant_id,
        provider_id=po.provider_id,
        po_id=po.id,
        number=number,
        base_revision=po.revision,
        status="draft",
        cause=cause,
        reason=reason,
        header=header,
        lines=lines,
        diff=proposals.diff(po, header, lines),
        total_before=po.total,
        total_after=proposals.proposal_total(lines),
        counters_ack_id=ack.id if ack is not None else None,
        created_by_id=user_id,
    )
    session.add(change)
    session.flush()
    if ack is not None:
        ack.changes_status = "countered"
    _record(
        session,
        change,
        "created",
        {
            "order": [None, po.number],
            "cause": [None, CAUSE_LABELS[cause]],
            "reason": [None, reason],
            **({"counters": [None, f"acknowledgement of revision {ack.revision}"]} if ack else {}),
        },
    )
    return change


def counter_edits(po: PurchaseOrder, ack_lines: list[dict]) -> list[dict]:
    """The supplier's proposal as line edits: its quantity, price and promised date."""
    by_no = {line.line_no: line for line in po.lines}
    edits = []
    for entry in ack_lines:
        line = by_no.get(entry.get("line_no"))
        if line is None or entry.get("outcome") != "changed":
            continue
        edit: dict[str, Any] = {"line_no": line.line_no}
        if entry.get("quantity"):
            edit["quantity"] = entry["quantity"]
        if entry.get("unit_price"):
            edit["unit_price"] = entry["unit_price"]
        promised = entry.get("promised_date")
        if promised and len(line.schedule) <= 1:
            qty = edit.get("quantity", format(line.quantity.normalize(), "f"))
            edit["schedule"] = [{"date": date.fromisoformat(promised).isoformat(), "quantity": qty}]
        edits.append(edit)
    return edits


def update(
    session: Session,
    provider_id: uuid.UUID,
    po_id: uuid.UUID,
    change_id: uuid.UUID,
    data: dict,
    *,
    expected_version: int | None,
) -> POChangeOrder:
    """Edits of a draft change order, all checked before anything is written."""
    po = get_for_provider(session, provider_id, po_id, lock=True)
    change = get_change(session, po, change_id, lock=True)
    if not CHANGE_ORDER.in_group("editable", change.status):
        raise Conflict(
            f"Change order {change.number} is {CHANGE_ORDER.label(change.status).lower()};"
            " only a draft is edited."
        )
    if expected_version is not None and expected_version != change.version:
        raise Conflict(
            f"Change order {change.number} of {po.number} was changed by someone else since you"
            " opened it; reload it and make your change again."
        )
    errors: dict[str, str] = {}
    cause, reason = change.cause, change.reason
    if "cause" in data or "reason" in data:
        cause, reason = _check_text(
            data.get("cause", change.cause), data.get("reason", change.reason), errors
        )
    header, lines, more = proposals.read_proposal(session, po, (change.header, change.lines), data)
    errors |= more
    if errors:
        raise ValidationFailed(errors)
    before = _recorded(change)
    change.cause, change.reason, change.header, change.lines = cause, reason, header, lines
    change.diff = proposals.diff(po, header, lines)
    change.total_before, change.total_after = po.total, proposals.proposal_total(lines)
    changes = audit.diff(before, _recorded(change))
    if changes:
        change.version += 1
        _record(session, change, "updated", changes)
    return change


def _recorded(change: POChangeOrder) -> dict:
    found = {
        "cause": CAUSE_LABELS.get(change.cause, change.cause),
        "reason": change.reason,
        **{name: change.header.get(name) for name in proposals.HEADER_FIELDS},
    }
    for line in change.lines:
        for name in proposals.LINE_FIELDS:
            value = line[name]
            if name == "schedule":
                value = proposals.schedule_text(value)
            elif name == "specs":
                value = proposals.specs_text(value)
            found[f"line {line['line_no']} {name}"] = value
    return found


def withdraw(
    session: Session, provider_id: uuid.UUID, po_id: uuid.UUID, change_id: uuid.UUID
) -> POChangeOrder:
    po = get_for_provider(session, provider_id, po_id, lock=True)
    change = get_change(session, po, change_id, lock=True)
    CHANGE_ORDER.apply(session, change, "withdraw", side=PROVIDER)
    change.withdrawn_at = utcnow()
    if change.counters_ack_id is not None:
        # The supplier's proposal waits for the buyer again.
        ack = acknowledgement_of(session, po)
        if ack is not None and ack.id == change.counters_ack_id:
            ack.changes_status = "pending"
    return change
