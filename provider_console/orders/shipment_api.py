"""Shipment notices, receipts and an order's attached files for integrations.

A provider token lists and records notices (one the supplier gave by email
or phone), lists receipts and uploads a receipt's packing slip (multipart);
a client token reads its orders' notices, receipts and files. The same
``idempotency_key`` sent twice answers the first notice with 200 and records
nothing.
"""

from __future__ import annotations

import uuid

from baton.platform.api import ApiBlueprint, PageQuerySchema, page_of, token_required
from baton.platform.auth import identity
from baton.platform.web import dbs
from baton.procurement.orders import attachments, queries, receiving, shipments
from baton.procurement.orders import shipment_presenters as present
from baton.procurement.orders.models import PurchaseOrder
from baton.procurement.orders.shipment_schemas import (
    PackingSlipUploadSchema,
    ReceiptOutSchema,
    ReceiptPageSchema,
    ShipmentInSchema,
    ShipmentOutSchema,
    ShipmentPageSchema,
)
from baton.sourcing.documents.downloads import revision_response

blp = ApiBlueprint(
    "api_shipments",
    __name__,
    description="Shipment notices, receipts and attached files of purchase orders",
    ids={
        "po_id": "the purchase order's id, from GET /purchase-orders",
        "receipt_id": "the receipt's id, from GET /purchase-orders/{po_id}/receipts",
        "attachment_id": "a file's id, as a shipment's or receipt's packing_slip.id gives it",
    },
)


def _get(po_id: uuid.UUID, *, lock: bool = False) -> PurchaseOrder:
    org_id = identity().organisation.id
    if identity().kind == "provider":
        return queries.get_for_provider(dbs(), org_id, po_id, lock=lock)
    return queries.get_for_client(dbs(), org_id, po_id, lock=lock)


def _shipments_of(po: PurchaseOrder) -> list[dict]:
    session = dbs()
    found = shipments.shipments_of(session, po)
    receipts = queries.receipts_of(session, po)
    files = attachments.revisions_by_id(
        session, po.tenant_id, attachments.attachment_ids(found, [], None)
    )
    received = shipments.received_ids(po, found, receipts)
    return [present.shipment(s, files, received) for s in found]


@blp.get("/purchase-orders/<uuid:po_id>/shipments")
@token_required()
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, ShipmentPageSchema)
@blp.doc(summary="The order's shipment notices, oldest first")
def list_shipments(args, po_id: uuid.UUID):
    return page_of(_shipments_of(_get(po_id)), args["page"])


@blp.post("/purchase-orders/<uuid:po_id>/shipments")
@token_required(kind="provider", permission="po.write")
@blp.arguments(ShipmentInSchema)
@blp.response(201, ShipmentOutSchema)
@blp.alt_response(200, schema=ShipmentOutSchema, description="The key was used: the first notice")
@blp.doc(summary="Record a shipment notice the supplier gave by email or phone")
def record_shipment(data, po_id: uuid.UUID):
    shipment, created = shipments.record_for_buyer(
        dbs(),
        identity().organisation.id,
        None,
        po_id,
        data,
        source=data["source"],
        idempotency_key=data.get("idempotency_key"),
    )
    [shown] = [s for s in _shipments_of(_get(po_id)) if s["id"] == shipment.id]
    return shown, 201 if created else 200


def _receipts_of(po: PurchaseOrder) -> list[dict]:
    rows = queries.receipts_of(dbs(), po)
    files = attachments.revisions_by_id(
        dbs(), po.tenant_id, attachments.attachment_ids([], rows, None)
    )
    return [present.receipt(r, files) for r in rows]


@blp.get("/purchase-orders/<uuid:po_id>/receipts")
@token_required()
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, ReceiptPageSchema)
@blp.doc(summary="The order's receipts, one per line received, oldest first")
def list_receipts(args, po_id: uuid.UUID):
    return page_of(_receipts_of(_get(po_id)), args["page"])


@blp.post("/purchase-orders/<uuid:po_id>/receipts/<uuid:receipt_id>/packing-slip")
@token_required(kind="provider", permission="po.write")
@blp.arguments(PackingSlipUploadSchema, location="multipart")
@blp.response(200, ReceiptOutSchema)
@blp.doc(summary="Upload the packing slip of a receipt recorded without one (multipart)")
def upload_packing_slip(form, po_id: uuid.UUID, receipt_id: uuid.UUID):
    receipt = receiving.attach_to_receipt(
        dbs(),
        identity().organisation.id,
        None,
        po_id,
        receipt_id,
        attachments.upload_from(form.get("file")),
    )
    [shown] = [r for r in _receipts_of(_get(po_id)) if r["id"] == receipt.id]
    return shown


@blp.get("/purchase-orders/<uuid:po_id>/attachments/<uuid:attachment_id>")
@token_required()
@blp.response(200, description="The file (local store) or a redirect to it (S3)")
@blp.doc(summary="Download a packing slip or acknowledgement attached to the order")
def download_attachment(po_id: uuid.UUID, attachment_id: uuid.UUID):
    po = _get(po_id)
    return revision_response(attachments.attachment_of(dbs(), po, attachment_id))
