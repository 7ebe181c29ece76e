"""The client's downloads of an order's attached files (packing slips, the
supplier's acknowledgement as the buyer received it); its order page lists
the shipment notices read-only."""

from __future__ import annotations

import uuid

from flask import Blueprint

from baton.platform.auth import identity, require
from baton.platform.web import dbs
from baton.procurement.orders import attachments, queries
from baton.sourcing.documents.downloads import revision_response

bp = Blueprint("client_shipments", __name__, url_prefix="/client/orders")


@bp.get("/<uuid:po_id>/attachments/<uuid:attachment_id>")
@require(kind="client")
def attachment(po_id: uuid.UUID, attachment_id: uuid.UUID):
    po = queries.get_for_client(dbs(), identity().organisation.id, po_id)
    return revision_response(attachments.attachment_of(dbs(), po, attachment_id))
