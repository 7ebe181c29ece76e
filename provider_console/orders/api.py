"""Purchase orders for integrations. A provider token drafts, submits, releases,
records acknowledgements and receipts, and cancels; a client token reads its
orders. A draft is changed with ``If-Match: "<version>"`` so a stale write is a
412, never a lost update. Bad input answers 422 naming the field."""

from __future__ import annotations

import uuid

from flask import request

from baton.platform.api import ApiBlueprint, dumped, token_required
from baton.platform.auth import identity
from baton.platform.errors import ServiceError
from baton.platform.planner import paged_only, walks_an_index
from baton.platform.web import dbs
from baton.procurement.orders import (
    acknowledgements,
    approvals,
    drafting,
    open_orders,
    queries,
    receiving,
    release,
)
from baton.procurement.orders.models import PurchaseOrder
from baton.procurement.orders.presenters import LIST_ITEM_COLUMNS, list_item, represent
from baton.procurement.orders.schemas import (
    AcknowledgementSchema,
    CreateOrderSchema,
    OrderOutSchema,
    OrderPageSchema,
    OrderQuerySchema,
    ReadyPageSchema,
    ReasonSchema,
    ReceiptSchema,
    UpdateOrderSchema,
)

blp = ApiBlueprint(
    "api_orders",
    __name__,
    description="Purchase orders",
    ids={"po_id": "the purchase order's id, from GET /purchase-orders"},
)


class PreconditionFailed(ServiceError):
    status = 412


class PreconditionRequired(ServiceError):
    status = 428


def _org_id() -> uuid.UUID:
    return identity().organisation.id


def _scope(*, in_order: bool = False) -> list:
    if identity().kind == "provider":
        return queries.provider_scope(dbs(), _org_id(), in_order=in_order)
    return [PurchaseOrder.tenant_id == _org_id(), PurchaseOrder.submitted_at.is_not(None)]


def _get(po_id: uuid.UUID) -> PurchaseOrder:
    if identity().kind == "provider":
        return queries.get_for_provider(dbs(), _org_id(), po_id)
    return queries.get_for_client(dbs(), _org_id(), po_id)


def _with_etag(po: PurchaseOrder):
    return represent(dbs(), po), 200, {"ETag": f'"{po.version}"'}


@blp.get("/purchase-orders")
@walks_an_index(when=paged_only)
@token_required()
@blp.arguments(OrderQuerySchema, location="query")
@blp.response(200, OrderPageSchema)
@blp.doc(summary="List purchase orders, newest first, filtered as the orders pages are")
def list_orders(args):
    filters = open_orders.from_api(args)
    orders, has_next = open_orders.search_values(
        dbs(),
        _scope(in_order=open_orders.in_index_order_for(filters)),
        filters,
        LIST_ITEM_COLUMNS,
        page=args["page"],
    )
    return dumped(
        {"page": args["page"], "has_next": has_next, "items": [list_item(po) for po in orders]}
    )


@blp.get("/purchase-orders/ready")
@token_required(kind="provider")
@blp.response(200, ReadyPageSchema)
@blp.doc(summary="Lines of accepted handoffs not yet on an order")
def ready_lines():
    rows = drafting.ready_lines(dbs(), _org_id())
    return {
        "page": 1,
        "has_next": False,
        "items": [
            {
                "key": r.key,
                "client_id": r.requirement.tenant_id,
                "requirement_id": r.requirement.id,
                "client_reference": r.requirement.client_reference,
                "line_no": r.line["line_no"],
                "item_code": r.line.get("item_code"),
                "description": r.line["description"],
                "remaining": format(r.remaining.normalize(), "f"),
                "unit": r.line.get("unit"),
                "unit_price": r.line.get("unit_price"),
                "supplier_id": (r.snapshot.payload.get("supplier") or {}).get("id"),
                "currency": r.snapshot.payload["requirement"]["currency"],
            }
            for r in rows
        ],
    }


@blp.get("/purchase-orders/<uuid:po_id>")
@token_required()
@blp.response(200, OrderOutSchema)
@blp.doc(summary="One purchase order with its lines; the ETag is its version")
def read_order(po_id: uuid.UUID):
    return _with_etag(_get(po_id))


@blp.post("/purchase-orders")
@token_required(kind="provider", permission="po.write")
@blp.arguments(CreateOrderSchema)
@blp.response(201, OrderOutSchema)
@blp.doc(summary="Draft an order from ready lines of one client and one supplier")
def create_order(data):
    po = drafting.create_draft(dbs(), _org_id(), None, data["lines"])
    return represent(dbs(), po), 201, {"ETag": f'"{po.version}"'}


@blp.patch("/purchase-orders/<uuid:po_id>")
@token_required(kind="provider", permission="po.write")
@blp.arguments(UpdateOrderSchema)
@blp.response(200, OrderOutSchema)
@blp.doc(summary="Change a draft; needs If-Match with the version you read")
def update_order(data, po_id: uuid.UUID):
    raw = (request.headers.get("If-Match") or "").strip().strip('"').removeprefix('W/"')
    if not raw:
        queries.get_for_provider(dbs(), _org_id(), po_id)  # 404 before 428
        raise PreconditionRequired("Send If-Match with the order's version (its ETag).")
    try:
        expected = int(raw)
    except ValueError:
        raise PreconditionFailed(
            "If-Match must be the order's version, as its ETag gives it."
        ) from None
    current = queries.get_for_provider(dbs(), _org_id(), po_id)
    if current.version != expected:
        raise PreconditionFailed(
            f"{current.number} is at version {current.version}, not {expected}; read it again."
        )
    po = drafting.update_draft(dbs(), _org_id(), po_id, data, expected_version=expected)
    return _with_etag(po)


@blp.post("/purchase-orders/<uuid:po_id>/submit")
@token_required(kind="provider", permission="po.write")
@blp.arguments(ReasonSchema)
@blp.response(200, OrderOutSchema)
@blp.doc(summary="Submit for the client's approval (approved at once below its threshold)")
def submit_order(data, po_id: uuid.UUID):
    return _with_etag(approvals.submit(dbs(), _org_id(), None, po_id, reason=data.get("reason")))


@blp.post("/purchase-orders/<uuid:po_id>/release")
@token_required(kind="provider", permission="po.write")
@blp.response(200, OrderOutSchema)
@blp.doc(summary="Release an approved order: the supplier gets the PDF and its link")
def release_order(po_id: uuid.UUID):
    return _with_etag(release.release(dbs(), _org_id(), po_id))


@blp.post("/purchase-orders/<uuid:po_id>/cancel")
@token_required(kind="provider", permission="po.write")
@blp.arguments(ReasonSchema)
@blp.response(200, OrderOutSchema)
@blp.doc(summary="Cancel before receipt, with a reason")
def cancel_order(data, po_id: uuid.UUID):
    return _with_etag(release.cancel(dbs(), _org_id(), po_id, data.get("reason")))


@blp.post("/purchase-orders/<uuid:po_id>/acknowledgement")
@token_required(kind="provider", permission="po.write")
@blp.arguments(AcknowledgementSchema)
@blp.response(200, OrderOutSchema)
@blp.doc(summary="Record the supplier's acknowledgement received by email or phone")
def record_acknowledgement(data, po_id: uuid.UUID):
    acknowledgements.record_for_buyer(
        dbs(), _org_id(), None, po_id, data["lines"], source=data["source"], note=data.get("note")
    )
    return _with_etag(queries.get_for_provider(dbs(), _org_id(), po_id))


@blp.post("/purchase-orders/<uuid:po_id>/receipts")
@token_required(kind="provider", permission="po.write")
@blp.arguments(ReceiptSchema)
@blp.response(200, OrderOutSchema)
@blp.doc(summary="Record goods received (and rejected) per line")
def record_receipt(data, po_id: uuid.UUID):
    receiving.receive(
        dbs(),
        _org_id(),
        None,
        po_id,
        data["lines"],
        reference=data.get("reference"),
        received_on=data.get("received_on"),
        shipment_id=data.get("shipment_id"),
    )
    return _with_etag(queries.get_for_provider(dbs(), _org_id(), po_id))
