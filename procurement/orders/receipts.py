"""Goods received against an order, line by line, and closing it.

The order row is locked for the whole receipt, so two receipts entered at
once are applied one after the other and the second sees the first: neither
can take a line past its ordered quantity plus the client's tolerance.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from baton.platform import audit
from baton.platform.db import utc_today, utcnow
from baton.platform.errors import ValidationFailed
from baton.platform.workflow import PROVIDER
from baton.procurement.orders.fields import date_value, decimal_value, text_value
from baton.procurement.orders.models import POLine, POReceipt, PurchaseOrder
from baton.procurement.orders.policy import policy_for
from baton.procurement.orders.queries import get_for_provider
from baton.procurement.orders.requirements import note_finished
from baton.procurement.orders.states import PURCHASE_ORDER


def allowed_quantity(line: POLine, tolerance_percent: Decimal) -> Decimal:
    return line.quantity * (1 + tolerance_percent / 100)


def receive(
    session: Session,
    provider_id: uuid.UUID,
    user_id: uuid.UUID | None,
    po_id: uuid.UUID,
    lines: list[dict],
    *,
    reference: str | None = None,
    received_on: date | str | None = None,
) -> list[POReceipt]:
    po = get_for_provider(session, provider_id, po_id, lock=True)
    PURCHASE_ORDER.check("receive_part", po.status, PROVIDER)
    tolerance = policy_for(session, po.tenant_id, po.currency).receipt_tolerance_percent
    errors: dict[str, str] = {}
    try:
        reference = text_value(reference, limit=100)
    except ValueError as exc:
        errors["reference"] = str(exc)
    try:
        when = date_value(received_on, required=False) or utc_today()
        if when > utc_today():
            errors["received_on"] = "A receipt cannot be dated in the future."
    except ValueError as exc:
        errors["received_on"] = str(exc)
    by_no = {line.line_no: line for line in po.lines}
    planned = []
    for raw in lines:
        try:
            no = int(raw.get("line_no"))
            line = by_no[no]
        except (TypeError, ValueError, KeyError):
            errors["lines"] = "A receipt names lines of this order."
            continue
        prefix = f"lines[{no}]"
        try:
            got = decimal_value(raw.get("quantity_received"), required=False) or Decimal(0)
            rejected = decimal_value(raw.get("quantity_rejected"), required=False) or Decimal(0)
        except ValueError as exc:
            errors[f"{prefix}.quantity_received"] = str(exc)
            continue
        if not got and not rejected:
            continue
        try:
            reason = text_value(raw.get("reject_reason"), limit=500)
        except ValueError as exc:
            errors[f"{prefix}.reject_reason"] = str(exc)
            continue
        if rejected and not reason:
            errors[f"{prefix}.reject_reason"] = "Say why goods were rejected."
        limit = allowed_quantity(line, tolerance)
        if line.received_quantity + got > limit:
            left = max(limit - line.received_quantity, Decimal(0))
            errors[f"{prefix}.quantity_received"] = (
                f"Line {no} would be over-received: ordered {line.quantity.normalize():f} {line.unit},"
                f" already received {line.received_quantity.normalize():f}; at most {left.normalize():f}"
                f" more can be received (tolerance {tolerance.normalize():f} %)."
            )
        planned.append((line, got, rejected, reason))
    if not planned and not errors:
        errors["lines"] = "Enter a received or rejected quantity on at least one line."
    if errors:
        raise ValidationFailed(errors)
    receipts = []
    for line, got, rejected, reason in planned:
        before = line.received_quantity
        line.received_quantity += got
        line.rejected_quantity += rejected
        receipt = POReceipt(
            id=uuid.uuid4(),
            tenant_id=po.tenant_id,
            provider_id=po.provider_id,
            po_id=po.id,
            line_no=line.line_no,
            quantity_received=got,
            quantity_rejected=rejected,
            reject_reason=reason,
            reference=reference,
            received_on=when,
            created_by_id=user_id,
        )
        session.add(receipt)
        receipts.append(receipt)
        audit.record(
            session,
            tenant_id=po.tenant_id,
            provider_id=po.provider_id,
            action="purchase_order.received",
            entity_type="purchase_order",
            entity_id=po.id,
            changes={
                f"line {line.line_no} received": [before, line.received_quantity],
                **({f"line {line.line_no} rejected": [None, rejected]} if rejected else {}),
                **({"reference": [None, reference]} if reference else {}),
            },
        )
    complete = all(line.received_quantity >= line.quantity for line in po.lines)
    PURCHASE_ORDER.apply(session, po, "receive_all" if complete else "receive_part", side=PROVIDER)
    return receipts


def close(session: Session, provider_id: uuid.UUID, po_id: uuid.UUID) -> PurchaseOrder:
    po = get_for_provider(session, provider_id, po_id, lock=True)
    PURCHASE_ORDER.apply(session, po, "close", side=PROVIDER)
    po.closed_at = utcnow()
    note_finished(session, po)
    return po
