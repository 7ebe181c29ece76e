"""An order's compliance dossier for integrations: the zip the order pages give,
for a provider token (its own orders) or a client token (its submitted ones)."""

from __future__ import annotations

import uuid

from baton.platform.api import ApiBlueprint, token_required
from baton.platform.auth import identity
from baton.platform.web import dbs
from baton.procurement.orders import dossier, queries

blp = ApiBlueprint(
    "api_order_records",
    __name__,
    description="Purchase order records: the compliance dossier",
    ids={"po_id": "the purchase order's id, from GET /purchase-orders"},
)


@blp.get("/purchase-orders/<uuid:po_id>/dossier")
@token_required()
@blp.response(
    200,
    content_type="application/zip",
    description="A zip: manifest.json (every file with its SHA-256), the revisions' PDFs,"
    " the handoff snapshots, specifications, acknowledgements, receipts, the audit events"
    " and audit/VERIFICATION.txt. The X-Audit-Chain header says verified or broken.",
)
@blp.doc(summary="The order's compliance dossier as a zip; reading it changes nothing")
def order_dossier(po_id: uuid.UUID):
    session, org = dbs(), identity().organisation
    if identity().kind == "provider":
        po = queries.get_for_provider(session, org.id, po_id)
    else:
        po = queries.get_for_client(session, org.id, po_id)
    return dossier.as_response(
        dossier.build(session, po, org.id, timezone=org.timezone, locale=org.locale)
    )
