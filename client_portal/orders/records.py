"""The client's records of its orders: the open-orders export and an order's
compliance dossier."""

from __future__ import annotations

import uuid

from flask import Blueprint, request

from baton.platform import exports
from baton.platform.auth import identity, require
from baton.platform.web import dbs
from baton.procurement.orders import dossier, open_orders, queries
from baton.procurement.orders.models import PurchaseOrder

bp = Blueprint("client_order_records", __name__, url_prefix="/client/orders")


def _tenant_id() -> uuid.UUID:
    return identity().organisation.id


def client_scope() -> list:
    """The client's orders once a buyer submits them; a draft is the provider's."""
    return [PurchaseOrder.tenant_id == _tenant_id(), PurchaseOrder.submitted_at.is_not(None)]


@bp.get("/<uuid:po_id>/dossier")
@require(kind="client")
def order_dossier(po_id: uuid.UUID):
    session = dbs()
    po = queries.get_for_client(session, _tenant_id(), po_id)
    org = identity().organisation
    return dossier.as_response(
        dossier.build(session, po, org.id, timezone=org.timezone, locale=org.locale)
    )


@bp.get("/export")
@require(kind="client")
def export():
    """The open-orders list as filtered on the page, line by line, as CSV or XLSX."""
    fmt = exports.format_from(request.args)
    session = dbs()
    filters, _errors = open_orders.parse(request.args)
    orders, _more = open_orders.search(session, client_scope(), filters, per_page=exports.MAX_ROWS)
    return exports.export_response(
        fmt,
        "open-orders",
        open_orders.EXPORT_HEADER,
        open_orders.export_rows(session, orders),
        tz_name=identity().organisation.timezone,
    )
