"""Shipment notices: the supplier tells the buyer what it sent, when it should
arrive and how to track it; and receiving goods against one.

A notice may be sent once the order is released (acknowledged or not: goods
on the way answer the order too) until everything is received; it never
changes the order's status (see ``shipment_models``).

Quantities: a line may be announced up to what is still to come (ordered
minus what earlier notices announced, or minus what was received if more
arrived without a notice) plus the client's receipt tolerance. The same
tolerance as receipts, so that a notice never announces goods the dock would
then have to refuse, and a supplier who ships the tolerated 2 % over is not
stopped one step earlier than the receipt would stop it.

A second submit of the same form (the same idempotency key) finds the first
notice and changes nothing; the caller shows the same result. The order row
is locked by the caller, so two submits at once are applied one after the
other.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from baton.platform import audit
from baton.platform.db import utc_today
from baton.platform.errors import Conflict, ValidationFailed
from baton.platform.notify import publish
from baton.procurement.orders import attachments
from baton.procurement.orders.fields import date_value, decimal_value, text_value
from baton.procurement.orders.models import POReceipt, PurchaseOrder
from baton.procurement.orders.policy import policy_for
from baton.procurement.orders.queries import get_for_provider, provider_scope
from baton.procurement.orders.receipts import allowed_quantity
from baton.procurement.orders.shipment_models import SHIPMENT_SOURCES, POShipment
from baton.procurement.orders.states import PURCHASE_ORDER

EVENT = "purchase_order.shipment_notified"
SOURCE_LABELS = {"supplier_link": "the supplier's link", "email": "email", "phone": "phone"}
KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")


def new_key() -> str:
    """A fresh idempotency key, rendered into each shipment form."""
    return uuid.uuid4().hex


def shipments_of(session: Session, po: PurchaseOrder) -> list[POShipment]:
    """Oldest first: the order the goods are taken to arrive in."""
    return list(
        session.scalars(
            sa.select(POShipment)
            .where(POShipment.tenant_id == po.tenant_id, POShipment.po_id == po.id)
            .order_by(POShipment.shipped_on, POShipment.created_at, POShipment.id)
        )
    )


def shipment_of(session: Session, po: PurchaseOrder, shipment_id: Any) -> POShipment | None:
    try:
        wanted = shipment_id if isinstance(shipment_id, uuid.UUID) else uuid.UUID(str(shipment_id))
    except ValueError:
        return None
    return session.scalar(
        sa.select(POShipment).where(
            POShipment.tenant_id == po.tenant_id,
            POShipment.po_id == po.id,
            POShipment.id == wanted,
        )
    )


def shipped_by_line(shipments: list[POShipment]) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for shipment in shipments:
        for entry in shipment.lines:
            totals[int(entry["line_no"])] += Decimal(entry["quantity"])
    return dict(totals)


def one_line_text(raw: Any, *, limit: int) -> str | None:
    """Carrier names and tracking numbers as stored: NFC, trimmed, inner runs of
    spaces made one, and no control or format characters (an invisible one
    would make the same tracking number look like a change)."""
    text = text_value(raw, limit=limit)
    if text is None:
        return None
    # Tabs and odd spaces are spacing; other control characters are refused.
    text = re.sub(r"\s+", " ", text)
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in text):
        raise ValueError("Remove the control character from this text.")
    return text


def _existing(session: Session, po: PurchaseOrder, key: str | None) -> POShipment | None:
    if not key:
        return None
    return session.scalar(
        sa.select(POShipment).where(
            POShipment.tenant_id == po.tenant_id,
            POShipment.po_id == po.id,
            POShipment.idempotency_key == key,
        )
    )


def _check(
    session: Session, po: PurchaseOrder, data: dict, shipments: list[POShipment]
) -> tuple[dict, dict[str, str]]:
    errors: dict[str, str] = {}
    found: dict[str, Any] = {}
    for name, limit, required in (("carrier", 100, True), ("tracking_number", 100, False)):
        try:
            found[name] = one_line_text(data.get(name), limit=limit)
            if required and not found[name]:
                errors[name] = "Name the carrier (or 'own transport')."
        except ValueError as exc:
            errors[name] = str(exc)
    try:
        shipped = date_value(data.get("shipped_on"), required=False) or utc_today()
        # A day's grace: the supplier's today may already be tomorrow in UTC.
        if shipped > utc_today() + timedelta(days=1):
            errors["shipped_on"] = "A shipment notice is sent once the goods are shipped."
        found["shipped_on"] = shipped
    except ValueError as exc:
        errors["shipped_on"] = str(exc)
    try:
        expected = date_value(data.get("expected_on"))
        found["expected_on"] = expected
        shipped = found.get("shipped_on")
        if shipped and expected < shipped:
            errors["expected_on"] = "The expected arrival cannot be before the ship date."
    except ValueError as exc:
        errors["expected_on"] = str(exc)
    try:
        found["note"] = text_value(data.get("note"), limit=2000, multiline=True)
    except ValueError as exc:
        errors["note"] = str(exc)
    tolerance = policy_for(session, po.tenant_id, po.currency).receipt_tolerance_percent
    already = shipped_by_line(shipments)
    raw_lines = {str(r.get("line_no")): r for r in data.get("lines") or [] if isinstance(r, dict)}
    lines = []
    for line in po.lines:
        raw = raw_lines.get(str(line.line_no))
        if raw is None:
            continue
        field = f"lines[{line.line_no}].quantity"
        try:
            quantity = decimal_value(raw.get("quantity"), required=False)
        except ValueError as exc:
            errors[field] = str(exc)
            continue
        if not quantity:
            continue  # left empty or 0: this line is not in the shipment
        on_the_way = max(already.get(line.line_no, Decimal(0)), line.received_quantity)
        left = max(allowed_quantity(line, tolerance) - on_the_way, Decimal(0))
        if quantity > left:
            errors[field] = (
                f"Line {line.line_no} would ship more than ordered: ordered"
                f" {line.quantity.normalize():f} {line.unit}, already shipped or received"
                f" {on_the_way.normalize():f}; at most {left.normalize():f} more"
                f" (tolerance {tolerance.normalize():f} %)."
            )
            continue
        lines.append({"line_no": line.line_no, "quantity": format(quantity, "f")})
    unknown = set(raw_lines) - {str(line.line_no) for line in po.lines}
    if unknown:
        errors["lines"] = "A shipment notice names lines of this order."
    elif not lines and not any(k.startswith("lines[") for k in errors):
        errors["lines"] = "Enter the quantity shipped on at least one line."
    found["lines"] = lines
    return found, errors


def send_notice(
    session: Session,
    po: PurchaseOrder,
    data: dict,
    *,
    source: str,
    idempotency_key: str | None,
    packing_slip: attachments.Upload | None = None,
    entered_by_id: uuid.UUID | None = None,
) -> tuple[POShipment, bool]:
    """Record a notice for ``po`` (locked by the caller). Returns the notice and
    whether it is new: with a key already used, the first notice, unchanged."""
    if idempotency_key is not None and not KEY_RE.match(idempotency_key):
        raise ValidationFailed({"idempotency_key": "Use 8 to 64 letters, digits, '-', '_'."})
    existing = _existing(session, po, idempotency_key)
    if existing is not None:
        return existing, False
    if not PURCHASE_ORDER.in_group("shippable", po.status):
        raise Conflict(
            f"Purchase order {po.number} is {PURCHASE_ORDER.labels[po.status].lower()}:"
            " a shipment notice is sent for a released order not yet received in full."
        )
    if source not in SHIPMENT_SOURCES:
        raise ValidationFailed({"source": "Choose supplier link, email or phone."})
    shipments = shipments_of(session, po)
    found, errors = _check(session, po, data, shipments)
    if packing_slip is not None and not errors:
        try:
            packing_slip = attachments.check_upload(packing_slip, "packing_slip")
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    slip = None
    if packing_slip is not None:
        slip = attachments.store(
            session,
            po,
            packing_slip,
            kind="packing_slip",
            field="packing_slip",
            note="With the shipment notice",
            uploaded_by_id=entered_by_id,
        )
    shipment = POShipment(
        id=uuid.uuid4(),
        tenant_id=po.tenant_id,
        provider_id=po.provider_id,
        po_id=po.id,
        revision=po.revision,
        source=source,
        entered_by_id=entered_by_id,
        idempotency_key=idempotency_key or new_key(),
        packing_slip_revision_id=slip.id if slip else None,
        **found,
    )
    session.add(shipment)
    session.flush()
    before = shipped_by_line(shipments)
    after = shipped_by_line([*shipments, shipment])
    audit.record(
        session,
        tenant_id=po.tenant_id,
        provider_id=po.provider_id,
        action="purchase_order.shipment_notice",
        entity_type="purchase_order",
        entity_id=po.id,
        changes={
            "source": [None, source],
            "carrier": [None, shipment.carrier],
            **(
                {"tracking_number": [None, shipment.tracking_number]}
                if shipment.tracking_number
                else {}
            ),
            "shipped_on": [None, shipment.shipped_on],
            "expected_on": [None, shipment.expected_on],
            **{
                f"line {n} shipped": [before.get(n, Decimal(0)), total]
                for n, total in sorted(after.items())
                if total != before.get(n)
            },
            **({"packing_slip": [None, slip.filename]} if slip else {}),
        },
    )
    publish(
        session,
        EVENT,
        {"purchase_order_id": str(po.id), "shipment_id": str(shipment.id)},
        about=po,
    )
    return shipment, True


def record_for_buyer(
    session: Session,
    provider_id: uuid.UUID,
    user_id: uuid.UUID | None,
    po_id: uuid.UUID,
    data: dict,
    *,
    source: str,
    idempotency_key: str | None,
    packing_slip: attachments.Upload | None = None,
) -> tuple[POShipment, bool]:
    """A notice the supplier gave by email or phone, entered by a buyer."""
    po = get_for_provider(session, provider_id, po_id, lock=True)
    if source not in ("email", "phone"):
        raise ValidationFailed(
            {"source": "Choose email or phone: the supplier link is the supplier's."}
        )
    return send_notice(
        session,
        po,
        data,
        source=source,
        idempotency_key=idempotency_key,
        packing_slip=packing_slip,
        entered_by_id=user_id,
    )


def describe(shipment: POShipment) -> str:
    what = shipment.carrier or "shipment"
    if shipment.tracking_number:
        what += f" {shipment.tracking_number}"
    return f"{what}, shipped {shipment.shipped_on.isoformat()}"


# --- what the follow-up reads ------------------------------------------------------


@dataclass(frozen=True)
class OverdueShipment:
    shipment: POShipment
    po: PurchaseOrder
    days_late: int


def _covered(shipments: list[POShipment], receipts: list[POReceipt]) -> set[uuid.UUID]:
    """Notices whose goods have arrived. Receipts that name a notice cover it.
    The others are taken, first come first served, by the earliest notice of
    the line still short that had shipped by the receipt's date: goods
    received before a shipment left cannot be that shipment."""
    covered = {r.shipment_id for r in receipts if r.shipment_id is not None}
    ordered = sorted(
        (n for n in shipments if n.id not in covered), key=lambda n: (n.shipped_on, n.created_at)
    )
    short = {n.id: {int(e["line_no"]): Decimal(e["quantity"]) for e in n.lines} for n in ordered}
    for receipt in sorted(receipts, key=lambda r: (r.received_on, r.created_at)):
        if receipt.shipment_id is not None:
            continue
        left = receipt.quantity_received + receipt.quantity_rejected
        for notice in ordered:
            if left <= 0 or notice.shipped_on > receipt.received_on:
                break
            owed = short[notice.id].get(receipt.line_no, Decimal(0))
            taken = min(owed, left)
            if taken > 0:
                short[notice.id][receipt.line_no] = owed - taken
                left -= taken
    return covered | {n.id for n in ordered if not any(q > 0 for q in short[n.id].values())}


def overdue_shipments(
    session: Session, provider_id: uuid.UUID, today: date
) -> list[OverdueShipment]:
    """Notices of the provider's open orders whose expected arrival is before
    ``today`` and whose goods have not been received: neither a receipt entered
    against the notice nor receipts covering its quantities. Most overdue first.
    Four statements whatever the number of orders."""
    candidates = list(
        session.execute(
            sa.select(POShipment, PurchaseOrder)
            .join(
                PurchaseOrder,
                sa.and_(
                    PurchaseOrder.id == POShipment.po_id,
                    PurchaseOrder.tenant_id == POShipment.tenant_id,
                ),
            )
            .where(
                *provider_scope(session, provider_id),
                POShipment.provider_id == provider_id,
                POShipment.expected_on < today,
                PurchaseOrder.status.in_(PURCHASE_ORDER.group("shippable")),
            )
            .options(selectinload(PurchaseOrder.lines))
        )
    )
    if not candidates:
        return []
    orders = {po.id: po for _s, po in candidates}
    tenants = {po.tenant_id for po in orders.values()}
    all_shipments: dict[uuid.UUID, list[POShipment]] = defaultdict(list)
    for shipment in session.scalars(
        sa.select(POShipment)
        .where(POShipment.tenant_id.in_(tenants), POShipment.po_id.in_(orders))
        .order_by(POShipment.shipped_on, POShipment.created_at, POShipment.id)
    ):
        all_shipments[shipment.po_id].append(shipment)
    receipts: dict[uuid.UUID, list[POReceipt]] = defaultdict(list)
    for receipt in session.scalars(
        sa.select(POReceipt).where(POReceipt.tenant_id.in_(tenants), POReceipt.po_id.in_(orders))
    ):
        receipts[receipt.po_id].append(receipt)
    covered = set().union(*(_covered(s, receipts[i]) for i, s in all_shipments.items()))
    found = [
        OverdueShipment(shipment, po, (today - shipment.expected_on).days)
        for shipment, po in candidates
        if shipment.id not in covered
    ]
    return sorted(found, key=lambda o: (-o.days_late, o.po.number, o.shipment.created_at))


def received_ids(
    po: PurchaseOrder, shipments: list[POShipment], receipts: list[POReceipt]
) -> set[uuid.UUID]:
    """The notices whose goods have come (see ``_covered``)."""
    return _covered(shipments, receipts)


def page_context(
    session: Session, po: PurchaseOrder, receipts: list[POReceipt], ack: Any
) -> dict[str, Any]:
    """What an order page shows of shipments and attached files: two statements."""
    shipments = shipments_of(session, po)
    ids = attachments.attachment_ids(shipments, receipts, ack)
    return {
        "shipments": shipments,
        "shipped": shipped_by_line(shipments),
        "shipments_received": received_ids(po, shipments, receipts),
        "attachments": attachments.revisions_by_id(session, po.tenant_id, ids),
        "shipment_sources": SOURCE_LABELS,
        # str(id) -> {line_no: quantity}: the receive form prefills from one.
        "shipment_quantities": {
            str(s.id): {int(e["line_no"]): e["quantity"] for e in s.lines} for s in shipments
        },
        "today": utc_today(),
        # Rendered into the shipment form: resubmitting it records nothing new.
        "shipment_key": new_key(),
        "can_ship": PURCHASE_ORDER.in_group("shippable", po.status),
    }
