"""The buyer's records of orders: an order's compliance dossier, the list's export."""

from __future__ import annotations

import uuid

from flask import Blueprint, request

from baton.platform import exports
from baton.platform.auth import identity, require
from baton.platform.web import dbs
from baton.procurement.orders import dossier, open_orders, queries

bp = Blueprint("provider_order_records", __name__, url_prefix="/provider/orders")


def _provider_id() -> uuid.UUID:
    return identity().organisation.id


@bp.get("/<uuid:po_id>/dossier")
@require(kind="provider")
def order_dossier(po_id: uuid.UUID):
    session = dbs()
    po = queries.get_for_provider(session, _provider_id(), po_id)
    org = identity().organisation
    return dossier.as_response(
        dossier.build(session, po, org.id, timezone=org.timezone, locale=org.locale)
    )


@bp.get("/export")
@require(kind="provider")
def export():
    """The list as filtered on the page, line by line, as CSV or XLSX."""
    fmt = exports.format_from(request.args)
    session = dbs()
    filters, _errors = open_orders.parse(request.args)
    orders, _more = open_orders.search(
        session,
        queries.provider_scope(session, _provider_id()),
        filters,
        per_page=exports.MAX_ROWS,
    )
    return exports.export_response(
        fmt,
        "purchase-orders",
        open_orders.EXPORT_HEADER,
        open_orders.export_rows(session, orders),
        tz_name=identity().organisation.timezone,
    )
