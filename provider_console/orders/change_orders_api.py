"""Change orders and revisions for integrations. A provider token starts,
edits (``If-Match: "<version>"``, a stale one is a 412), submits, releases and
withdraws change orders; a client token reads what was submitted to it, and
both read every released revision of an order."""

from __future__ import annotations

import uuid

from flask import request

from baton.platform.api import ApiBlueprint, token_required
from baton.platform.auth import identity
from baton.platform.errors import NotFound
from baton.platform.web import dbs
from baton.procurement.orders import (
    change_approvals,
    change_orders,
    change_release,
    queries,
    revisions,
)
from baton.procurement.orders.change_models import POChangeOrder, PORevision
from baton.procurement.orders.change_schemas import (
    ChangeCreateSchema,
    ChangeEditSchema,
    ChangeOutSchema,
    OrderRevisionPageSchema,
    OrderRevisionSchema,
)
from baton.procurement.orders.models import PurchaseOrder
from baton.provider_console.orders.api import PreconditionFailed, PreconditionRequired

blp = ApiBlueprint(
    "api_change_orders",
    __name__,
    description="Change orders and revisions of purchase orders",
    ids={
        "po_id": "the purchase order's id, from GET /purchase-orders",
        "change_id": "the change order's id, as POST /purchase-orders/{po_id}/change-orders gave it",
        "revision": "a released revision number of the order: 0 is the first release",
    },
)


def _org_id() -> uuid.UUID:
    return identity().organisation.id


def _order(po_id: uuid.UUID) -> PurchaseOrder:
    if identity().kind == "provider":
        return queries.get_for_provider(dbs(), _org_id(), po_id)
    return queries.get_for_client(dbs(), _org_id(), po_id)


def _represent(change: POChangeOrder) -> dict:
    return {
        "id": change.id,
        "po_id": change.po_id,
        "number": change.number,
        "base_revision": change.base_revision,
        "status": change.status,
        "cause": change.cause,
        "reason": change.reason,
        "version": change.version,
        "header": change.header,
        "lines": change.lines,
        "diff": change.diff,
        "total_before": f"{change.total_before:.2f}",
        "total_after": f"{change.total_after:.2f}",
        "material_reasons": change.material_reasons,
        "exceptions": change.exceptions,
        "required_approvals": change.required_approvals,
        "submitted_at": change.submitted_at,
        "approved_at": change.approved_at,
        "released_at": change.released_at,
    }


def _with_etag(change: POChangeOrder, status: int = 200):
    return _represent(change), status, {"ETag": f'"{change.version}"'}


def _revision(po: PurchaseOrder, row: PORevision) -> dict:
    return {
        "revision": row.revision,
        "in_force": row.revision == po.revision,
        "released_at": row.released_at,
        "total": f"{row.total:.2f}",
        "change_id": row.change_id,
        "header": row.header,
        "lines": row.lines,
    }


@blp.get("/purchase-orders/<uuid:po_id>/revisions")
@token_required()
@blp.response(200, OrderRevisionPageSchema)
@blp.doc(summary="Every released revision of an order, newest first")
def list_revisions(po_id: uuid.UUID):
    po = _order(po_id)
    rows = revisions.revisions_of(dbs(), po)
    return {"page": 1, "has_next": False, "items": [_revision(po, r) for r in rows]}


@blp.get("/purchase-orders/<uuid:po_id>/revisions/<int:revision>")
@token_required()
@blp.response(200, OrderRevisionSchema)
@blp.doc(summary="One released revision of an order, as it was sent to the supplier")
def read_revision(po_id: uuid.UUID, revision: int):
    po = _order(po_id)
    return _revision(po, revisions.revision_of(dbs(), po, revision))


@blp.post("/purchase-orders/<uuid:po_id>/change-orders")
@token_required(kind="provider", permission="po.write")
@blp.arguments(ChangeCreateSchema)
@blp.response(201, ChangeOutSchema)
@blp.doc(summary="Start a change order on a released order, with edits to its revision in force")
def create_change(data, po_id: uuid.UUID):
    cause, reason, counter = data.pop("cause"), data.pop("reason"), data.pop("counter", False)
    change = change_orders.start(
        dbs(), _org_id(), None, po_id, cause=cause, reason=reason, edits=data, counter=counter
    )
    return _with_etag(change, 201)


def _change(po_id: uuid.UUID, change_id: uuid.UUID) -> POChangeOrder:
    change = change_orders.get_change(dbs(), _order(po_id), change_id)
    if identity().kind != "provider" and change.submitted_at is None:
        raise NotFound("No such change order.")  # a draft is the provider's
    return change


@blp.get("/purchase-orders/<uuid:po_id>/change-orders/<uuid:change_id>")
@token_required()
@blp.response(200, ChangeOutSchema)
@blp.doc(summary="One change order with its diff; the ETag is its version")
def read_change(po_id: uuid.UUID, change_id: uuid.UUID):
    return _with_etag(_change(po_id, change_id))


@blp.patch("/purchase-orders/<uuid:po_id>/change-orders/<uuid:change_id>")
@token_required(kind="provider", permission="po.write")
@blp.arguments(ChangeEditSchema)
@blp.response(200, ChangeOutSchema)
@blp.doc(summary="Edit a draft change order; needs If-Match with the version you read")
def update_change(data, po_id: uuid.UUID, change_id: uuid.UUID):
    current = _change(po_id, change_id)
    raw = (request.headers.get("If-Match") or "").strip().removeprefix("W/").strip('"')
    if not raw:
        raise PreconditionRequired("Send If-Match with the change order's version (its ETag).")
    try:
        expected = int(raw)
    except ValueError:
        raise PreconditionFailed(
            "If-Match must be the change order's version, as its ETag gives it."
        ) from None
    if current.version != expected:
        raise PreconditionFailed(
            f"Change order {current.number} is at version {current.version}, not {expected}; read it again."
        )
    change = change_orders.update(
        dbs(), _org_id(), po_id, change_id, data, expected_version=expected
    )
    return _with_etag(change)


@blp.post("/purchase-orders/<uuid:po_id>/change-orders/<uuid:change_id>/submit")
@token_required(kind="provider", permission="po.write")
@blp.response(200, ChangeOutSchema)
@blp.doc(summary="Submit: approved at once unless material under the client's policy")
def submit_change(po_id: uuid.UUID, change_id: uuid.UUID):
    return _with_etag(change_approvals.submit(dbs(), _org_id(), None, po_id, change_id))


@blp.post("/purchase-orders/<uuid:po_id>/change-orders/<uuid:change_id>/release")
@token_required(kind="provider", permission="po.write")
@blp.response(200, ChangeOutSchema)
@blp.doc(summary="Release an approved change order as the order's next revision")
def release_change(po_id: uuid.UUID, change_id: uuid.UUID):
    return _with_etag(change_release.release(dbs(), _org_id(), po_id, change_id))


@blp.post("/purchase-orders/<uuid:po_id>/change-orders/<uuid:change_id>/withdraw")
@token_required(kind="provider", permission="po.write")
@blp.response(200, ChangeOutSchema)
@blp.doc(summary="Withdraw an open change order; the order stays as it is")
def withdraw_change(po_id: uuid.UUID, change_id: uuid.UUID):
    return _with_etag(change_orders.withdraw(dbs(), _org_id(), po_id, change_id))
