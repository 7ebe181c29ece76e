"""The buyer's side of shipment notices: record one the supplier gave by email
or phone, and download an order's attached files (packing slips, the
supplier's acknowledgement as it arrived)."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, request, url_for

from baton.platform.auth import require
from baton.platform.errors import ServiceError, ValidationFailed
from baton.platform.pages import refused
from baton.platform.web import dbs, refuse
from baton.procurement.orders import attachments, queries, shipments
from baton.provider_console.orders import forms
from baton.provider_console.orders.views import _page, _provider_id, _user_id
from baton.sourcing.documents.downloads import revision_response

bp = Blueprint("provider_shipments", __name__, url_prefix="/provider/orders")


@bp.post("/<uuid:po_id>/shipments")
@require(kind="provider", permission="po.write")
def record(po_id: uuid.UUID):
    back = url_for("provider_orders.detail", po_id=po_id)
    try:
        _shipment, created = shipments.record_for_buyer(
            dbs(),
            _provider_id(),
            _user_id(),
            po_id,
            forms.shipment_data(request.form),
            source=request.form.get("source", ""),
            idempotency_key=request.form.get("idempotency_key") or None,
            packing_slip=attachments.upload_from(request.files.get("packing_slip")),
        )
    except ValidationFailed as exc:
        refuse()
        po = queries.get_for_provider(dbs(), _provider_id(), po_id)
        return _page(po, errors=exc.errors, status=422)
    except ServiceError as exc:
        return refused(exc, back)
    if created:
        flash("Shipment notice recorded; the order page lists it.", "success")
    else:
        flash("That shipment notice was recorded already; nothing was changed.", "info")
    return redirect(back + "#shipments")


@bp.get("/<uuid:po_id>/attachments/<uuid:attachment_id>")
@require(kind="provider")
def attachment(po_id: uuid.UUID, attachment_id: uuid.UUID):
    po = queries.get_for_provider(dbs(), _provider_id(), po_id)
    return revision_response(attachments.attachment_of(dbs(), po, attachment_id))
