"""The demo's shipment notices: one on the way, one overdue, with paperwork."""

from __future__ import annotations

import sqlalchemy as sa

from baton.platform.db import db, utc_today
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.procurement.orders import shipments
from baton.procurement.orders.models import POAcknowledgement, POReceipt, PurchaseOrder
from baton.procurement.orders.shipment_models import POShipment
from baton.tenants.models import Organisation
from tests.foundation.test_demo_seed import fresh_app, seed

__all__ = ["fresh_app"]


def test_the_demo_has_a_notice_on_the_way_one_overdue_and_their_packing_slips(fresh_app):
    seed(fresh_app)
    with fresh_app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            orders = {po.number: po for po in session.scalars(sa.select(PurchaseOrder))}
            notices = list(session.scalars(sa.select(POShipment)))
            by_order = {
                orders_id: [n for n in notices if n.po_id == orders_id]
                for orders_id in {n.po_id for n in notices}
            }
            part, changed = orders["ACME-000006"], orders["ACME-000005"]
            assert {n.source for n in notices} == {"supplier_link"}
            assert all(n.packing_slip_revision_id for n in notices)
            assert [n.lines for n in by_order[part.id]] == [[{"line_no": 1, "quantity": "40"}]]
            assert [n.lines for n in by_order[changed.id]] == [[{"line_no": 1, "quantity": "500"}]]
            ack = session.scalar(
                sa.select(POAcknowledgement).where(POAcknowledgement.po_id == part.id)
            )
            assert ack.source == "email" and ack.document_revision_id
            [receipt] = session.scalars(sa.select(POReceipt).where(POReceipt.po_id == part.id))
            assert receipt.packing_slip_revision_id
            northwind = session.scalar(
                sa.select(Organisation.id).where(Organisation.id == part.provider_id)
            )
            overdue = shipments.overdue_shipments(session, northwind, utc_today())
            assert [(o.po.number, o.days_late) for o in overdue] == [("ACME-000006", 1)]
        finally:
            session.close()
