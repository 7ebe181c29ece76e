"""Shipment notices for tests: an acknowledged order, its link, a notice."""

from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from baton.procurement.orders import acknowledgements, links, shipments
from baton.procurement.orders.models import POReceipt, PurchaseOrder
from baton.procurement.orders.shipment_models import POShipment
from tests.support import orders as o
from tests.support import requirements as h
from tests.support.world import World

SLIP = b"%PDF-1.4\n% packing slip DN-7781\n%%EOF\n"


def acknowledged(app: Flask, world: World, **overrides) -> uuid.UUID:
    po_id = o.released(app, world, **overrides)
    with h.as_provider(app, world) as (session, _):
        po = session.get(PurchaseOrder, po_id)
        acknowledgements.acknowledge(
            session, po, [{"line_no": 1, "outcome": "accepted"}], source="email"
        )
    return po_id


def token(app: Flask, po_id: uuid.UUID) -> str:
    with h.service_session(app) as session, app.test_request_context():
        return links.token_for(session.get(PurchaseOrder, po_id))


def form_key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def notice_form(quantity: str = "100", days: int = 3, **extra) -> dict:
    today = h.today()
    return {
        "carrier": "DHL Express",
        "tracking_number": "JD014600001",
        "shipped_on": today.isoformat(),
        "expected_on": (today + timedelta(days=days)).isoformat(),
        "lines-1-quantity_shipped": quantity,
        **extra,
    }


def slip(content: bytes = SLIP, name: str = "packing-slip.pdf"):
    return (io.BytesIO(content), name)


def send(
    app: Flask, world: World, po_id: uuid.UUID, quantity: str, shipped_ago: int, due_ago: int
) -> uuid.UUID:
    """A notice entered by the buyer, shipped and due some days ago."""
    today = h.today()
    with h.as_provider(app, world) as (session, user_id):
        shipment, _ = shipments.record_for_buyer(
            session,
            world.orgs["north"],
            user_id,
            po_id,
            {
                "carrier": "UPS",
                "shipped_on": today - timedelta(days=shipped_ago),
                "expected_on": today - timedelta(days=due_ago),
                "lines": [{"line_no": 1, "quantity": quantity}],
            },
            source="email",
            idempotency_key=None,
        )
        return shipment.id


def notices(app: Flask, po_id: uuid.UUID) -> list[POShipment]:
    with h.service_session(app) as session:
        rows = list(session.scalars(sa.select(POShipment).where(POShipment.po_id == po_id)))
        session.expunge_all()
        return rows


def receipts(app: Flask, po_id: uuid.UUID) -> list[POReceipt]:
    with h.service_session(app) as session:
        rows = list(session.scalars(sa.select(POReceipt).where(POReceipt.po_id == po_id)))
        session.expunge_all()
        return rows
