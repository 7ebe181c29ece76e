"""Drafting orders: what is ready to order, grouped; a draft from chosen lines; edits.

A buyer chooses lines of accepted handoffs of one client and one supplier; the
draft copies them from the snapshot (never from the live requirement, which
the client may change) with the quantity not yet on another order.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform import audit
from baton.platform.db import among
from baton.platform.errors import Conflict, ValidationFailed
from baton.procurement.handoff.review import provider_visible
from baton.procurement.orders import numbering
from baton.procurement.orders.fields import date_value, decimal_value, text_value
from baton.procurement.orders.models import POLine, PurchaseOrder
from baton.procurement.orders.queries import get_for_provider, ordered_quantities
from baton.procurement.orders.states import PURCHASE_ORDER
from baton.sourcing.requirements.models import HandoffSnapshot, Requirement
from baton.tenants.models import Organisation
from baton.tenants.services import engaged_client_ids

HEADER_FIELDS = ("ship_to", "payment_terms", "incoterms", "notes")
LINE_FIELDS = ("quantity", "unit", "unit_price", "schedule")
MAX_LINES = 200


@dataclass
class ReadyLine:
    requirement: Requirement
    snapshot: HandoffSnapshot
    line: dict
    remaining: Decimal

    @property
    def key(self) -> str:
        return f"{self.requirement.id}:{self.line['line_id']}"


@dataclass
class Proposal:
    """Lines that can go on one order: same client, supplier, currency and ship-to."""

    client: Organisation
    supplier: dict
    currency: str
    ship_to: str | None
    lines: list[ReadyLine] = field(default_factory=list)

    @property
    def value(self) -> Decimal:
        return sum(
            (r.remaining * Decimal(r.line.get("unit_price") or 0) for r in self.lines), Decimal(0)
        )


# How many accepted requirements the ready-to-order page lists at once.
READY_PAGE = 500


def ready_lines(
    session: Session, provider_id: uuid.UUID, requirement_ids: set[uuid.UUID] | None = None
) -> list[ReadyLine]:
    """Accepted handoff lines with quantity not yet on an open order: the first
    500 requirements by need-by date for the page, or all of ``requirement_ids``
    (the lines a buyer chose, wherever they stand in that list)."""
    clients = engaged_client_ids(session, provider_id)
    stmt = sa.select(Requirement).where(
        *provider_visible(session, provider_id, clients), Requirement.status == "accepted"
    )
    if requirement_ids is not None:
        stmt = stmt.where(among(session, Requirement.id, requirement_ids))
    else:
        stmt = stmt.order_by(
            Requirement.earliest_need_by.nulls_last(), Requirement.client_reference
        ).limit(READY_PAGE)
    reqs = list(session.scalars(stmt))
    snap_ids = [r.current_snapshot_id for r in reqs if r.current_snapshot_id]
    snaps = {
        s.id: s
        for s in session.scalars(sa.select(HandoffSnapshot).where(HandoffSnapshot.id.in_(snap_ids)))
    }
    line_ids = {uuid.UUID(line["line_id"]) for s in snaps.values() for line in s.payload["lines"]}
    ordered = ordered_quantities(session, {r.tenant_id for r in reqs}, line_ids)
    found = []
    for req in reqs:
        snap = snaps.get(req.current_snapshot_id)
        if snap is None:
            continue
        for line in snap.payload["lines"]:
            remaining = Decimal(line.get("quantity") or 0) - ordered.get(
                uuid.UUID(line["line_id"]), Decimal(0)
            )
            if remaining > 0:
                found.append(ReadyLine(req, snap, line, remaining))
    return found


def proposals(session: Session, provider_id: uuid.UUID) -> list[Proposal]:
    lines = ready_lines(session, provider_id)
    orgs = {
        o.id: o
        for o in session.scalars(
            sa.select(Organisation).where(
                Organisation.id.in_({r.requirement.tenant_id for r in lines})
            )
        )
    }
    groups: dict[tuple, Proposal] = {}
    for ready in lines:
        payload = ready.snapshot.payload
        supplier = payload.get("supplier") or {}
        header = payload["requirement"]
        key = (
            ready.requirement.tenant_id,
            supplier.get("id"),
            header["currency"],
            header.get("ship_to"),
        )
        if key not in groups:
            groups[key] = Proposal(
                orgs[ready.requirement.tenant_id],
                supplier,
                header["currency"],
                header.get("ship_to"),
            )
        groups[key].lines.append(ready)
    return sorted(groups.values(), key=lambda p: (p.client.name, p.supplier.get("name") or ""))


def _line_from(ready: ReadyLine, po: PurchaseOrder, line_no: int) -> POLine:
    line = ready.line
    need_by = line.get("need_by")
    return POLine(
        id=uuid.uuid4(),
        tenant_id=po.tenant_id,
        provider_id=po.provider_id,
        po_id=po.id,
        line_no=line_no,
        requirement_id=ready.requirement.id,
        requirement_line_id=uuid.UUID(line["line_id"]),
        snapshot_id=ready.snapshot.id,
        item_code=line.get("item_code"),
        description=line["description"],
        quantity=ready.remaining,
        unit=line.get("unit") or "ea",
        unit_price=Decimal(line.get("unit_price") or 0),
        schedule=[{"date": need_by, "quantity": format(ready.remaining.normalize(), "f")}]
        if need_by
        else [],
        specs=[
            {k: s[k] for k in ("revision_id", "document_number", "revision_no")}
            for s in line.get("specs", [])
        ],
    )


def create_draft(
    session: Session, provider_id: uuid.UUID, user_id: uuid.UUID | None, keys: list[str]
) -> PurchaseOrder:
    """A draft from ``keys`` (``"<requirement id>:<line id>"``) of one client and supplier."""
    chosen = {k.strip() for k in keys if k and k.strip()}
    if not chosen:
        raise ValidationFailed({"lines": "Choose at least one line to order."})
    requirement_ids = set()
    for key in chosen:
        # Not a key of ours: it matches nothing and counts as not ready below.
        with contextlib.suppress(ValueError):
            requirement_ids.add(uuid.UUID(key.partition(":")[0]))
    found = ready_lines(session, provider_id, requirement_ids) if requirement_ids else []
    ready = [r for r in found if r.key in chosen]
    if len(ready) != len(chosen):
        raise ValidationFailed(
            {"lines": "Some chosen lines are no longer ready to order; reload the page."}
        )
    groups = {
        (
            r.requirement.tenant_id,
            (r.snapshot.payload.get("supplier") or {}).get("id"),
            r.snapshot.payload["requirement"]["currency"],
        )
        for r in ready
    }
    if len(groups) > 1:
        raise ValidationFailed(
            {
                "lines": "One order is for one client, one supplier and one currency; choose lines of one group."
            }
        )
    ((tenant_id, supplier_id, currency),) = groups
    if supplier_id is None:
        raise ValidationFailed({"lines": "These lines name no supplier; return the handoff."})
    header = ready[0].snapshot.payload["requirement"]
    po = PurchaseOrder(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        provider_id=provider_id,
        number=numbering.next_number(session, tenant_id),
        engagement_id=ready[0].requirement.engagement_id,
        supplier_id=uuid.UUID(supplier_id),
        currency=currency,
        payment_terms=header.get("payment_terms"),
        incoterms=header.get("incoterms"),
        ship_to=header.get("ship_to"),
        buyer_id=user_id,
        created_by_id=user_id,
        status="draft",
    )
    po.lines = [_line_from(r, po, i) for i, r in enumerate(ready, start=1)]
    po.total = order_total(po)
    session.add(po)
    session.flush()
    audit.record(
        session,
        tenant_id=po.tenant_id,
        provider_id=po.provider_id,
        action="purchase_order.created",
        entity_type="purchase_order",
        entity_id=po.id,
        changes={
            "number": [None, po.number],
            "total": [None, po.total],
            "requirements": [None, sorted({r.requirement.client_reference for r in ready})],
        },
    )
    return po


def line_total(line: POLine) -> Decimal:
    return (line.quantity * line.unit_price).quantize(Decimal("0.01"))


def order_total(po: PurchaseOrder) -> Decimal:
    return sum((line_total(line) for line in po.lines), Decimal(0))


def _schedule(raw: Any, quantity: Decimal, prefix: str, errors: dict) -> list[dict]:
    rows = []
    for i, item in enumerate(raw or []):
        when, qty = (
            (item.get("date"), item.get("quantity")) if isinstance(item, dict) else (None, None)
        )
        if not when and not qty:
            continue
        try:
            d = date_value(when)
            q = decimal_value(qty, minimum=Decimal("0.0001"))
        except ValueError as exc:
            errors[f"{prefix}.schedule[{i}]"] = str(exc)
            continue
        rows.append({"date": d.isoformat(), "quantity": format(q, "f")})
    if not errors and rows and sum(Decimal(r["quantity"]) for r in rows) != quantity:
        errors[f"{prefix}.schedule"] = "The delivery quantities must add up to the line's quantity."
    return sorted(rows, key=lambda r: r["date"])


def update_draft(
    session: Session,
    provider_id: uuid.UUID,
    po_id: uuid.UUID,
    data: dict,
    *,
    expected_version: int | None,
) -> PurchaseOrder:
    """Header and line edits of a draft, all checked before anything is written;
    a stale ``expected_version`` (someone saved since) is a conflict, not a lost update."""
    po = get_for_provider(session, provider_id, po_id, lock=True)
    PURCHASE_ORDER.check("submit", po.status)  # only a draft is edited
    if expected_version is not None and expected_version != po.version:
        raise Conflict(
            f"{po.number} was changed by someone else since you opened it; reload it and make your change again."
        )
    errors: dict[str, str] = {}
    header: dict[str, Any] = {}
    for name, limit, multiline in (
        ("ship_to", 2000, True),
        ("payment_terms", 100, False),
        ("incoterms", 3, False),
        ("notes", 5000, True),
    ):
        if name in data:
            try:
                header[name] = text_value(data[name], limit=limit, multiline=multiline)
            except ValueError as exc:
                errors[name] = str(exc)
    if header.get("incoterms"):
        header["incoterms"] = header["incoterms"].upper()
    lines_by_no = {line.line_no: line for line in po.lines}
    edits: dict[int, dict] = {}
    for raw in data.get("lines") or []:
        try:
            no = int(raw.get("line_no"))
        except (TypeError, ValueError):
            errors["lines"] = "Each line edit names its line_no."
            continue
        prefix = f"lines[{no}]"
        if no not in lines_by_no:
            errors[prefix] = f"This order has no line {no}."
            continue
        edit: dict[str, Any] = {}
        if raw.get("remove"):
            edit["remove"] = True
        try:
            if "quantity" in raw:
                edit["quantity"] = decimal_value(raw["quantity"], minimum=Decimal("0.0001"))
        except ValueError as exc:
            errors[f"{prefix}.quantity"] = str(exc)
        try:
            if "unit_price" in raw:
                edit["unit_price"] = decimal_value(raw["unit_price"])
        except ValueError as exc:
            errors[f"{prefix}.unit_price"] = str(exc)
        try:
            if "unit" in raw:
                edit["unit"] = text_value(raw["unit"], limit=16, required=True)
        except ValueError as exc:
            errors[f"{prefix}.unit"] = str(exc)
        if "schedule" in raw:
            qty = edit.get("quantity", lines_by_no[no].quantity)
            if qty is not None:
                edit["schedule"] = _schedule(raw["schedule"], qty, prefix, errors)
        edits[no] = edit
    if edits and all(e.get("remove") for e in edits.values()) and len(edits) == len(po.lines):
        errors["lines"] = "An order keeps at least one line; cancel the order instead."
    if errors:
        raise ValidationFailed(errors)
    before = _recorded(po)
    for name, value in header.items():
        setattr(po, name, value)
    for no, edit in edits.items():
        line = lines_by_no[no]
        if edit.get("remove"):
            po.lines.remove(line)
            continue
        for name in LINE_FIELDS:
            if name in edit:
                setattr(line, name, edit[name])
        if "quantity" in edit and "schedule" not in edit and len(line.schedule) == 1:
            line.schedule = [
                {"date": line.schedule[0]["date"], "quantity": format(line.quantity, "f")}
            ]
    po.total = order_total(po)
    changes = audit.diff(before, _recorded(po))
    if changes:
        po.version += 1
        session.flush()
        audit.record(
            session,
            tenant_id=po.tenant_id,
            provider_id=po.provider_id,
            action="purchase_order.updated",
            entity_type="purchase_order",
            entity_id=po.id,
            changes=changes,
        )
    return po


def _recorded(po: PurchaseOrder) -> dict:
    found = audit.snapshot(po, HEADER_FIELDS + ("total",))
    for line in po.lines:
        for name in LINE_FIELDS:
            value = getattr(line, name)
            if name == "schedule":
                value = ", ".join(f"{d['quantity']} on {d['date']}" for d in value) or None
            found[f"line {line.line_no} {name}"] = value
    return found
