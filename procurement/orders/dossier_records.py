"""Dossier sections for what came after the first cut of the dossier: shipment
notices with their packing slips (and, as they land, change orders and order
issues). Each is a ``(session, dossier) -> None`` listed in
``dossier_sections.SECTIONS``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.procurement.orders.dossier_files import (
    Dossier,
    as_csv,
    as_json,
    revisions_of,
    safe_name,
)
from baton.procurement.orders.shipment_models import POShipment

SHIPMENT_FIELDS = ("id", "revision", "source", "carrier", "tracking_number", "shipped_on",
                   "expected_on", "note", "lines", "created_at", "entered_by_id")  # fmt: skip


def shipment_notices(session: Session, dossier: Dossier) -> None:
    po = dossier.po
    rows = list(
        session.scalars(
            sa.select(POShipment)
            .where(POShipment.tenant_id == po.tenant_id, POShipment.po_id == po.id)
            .order_by(POShipment.created_at)
        )
    )
    dossier.add(
        "shipments/shipment-notices.json",
        as_json([{name: getattr(r, name) for name in SHIPMENT_FIELDS} for r in rows]),
    )
    dossier.add(
        "shipments/shipment-notices.csv",
        as_csv(
            [*SHIPMENT_FIELDS[:-3], "quantities"],
            [
                [_text(getattr(r, name)) for name in SHIPMENT_FIELDS[:-3]]
                + ["; ".join(f"line {q['line_no']}: {q['quantity']}" for q in r.lines or [])]
                for r in rows
            ],
        ),
    )
    slips = revisions_of(session, po.tenant_id, {r.packing_slip_revision_id for r in rows})
    for r in rows:
        found = slips.get(r.packing_slip_revision_id)
        if found is not None:
            dossier.add_stored(f"shipments/{safe_name(found[0].filename)}", found[0])


def _text(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
