"""The buyer's follow-up list and "Chase" for integrations.

``GET /follow-up`` is the follow-up page as data: what each supplier owes and
how late, in the engagement's business time, latest first.
``POST /follow-up/{po_id}/chase`` sends the supplier a reminder with the
order's link. An integration that retries a chase sends the number it meant
(``chase_no``, the order's ``chasers_sent`` + 1): the first request sends that
chaser, a repeat answers 200 with what holds and sends nothing.
"""

from __future__ import annotations

import uuid

from marshmallow import Schema, fields, validate

from baton.platform.api import ApiBlueprint, PageQuerySchema, page_of, page_schema, token_required
from baton.platform.auth import identity
from baton.platform.web import dbs
from baton.procurement.orders import chasers, follow_up

DECIMAL = {"type": "string", "format": "decimal"}
KINDS = (follow_up.UNACKNOWLEDGED, follow_up.LATE_LINE, follow_up.LATE_SHIPMENT)

blp = ApiBlueprint(
    "api_follow_up",
    __name__,
    description="What suppliers owe the provider's buyers, and chasing them",
    ids={"po_id": "the purchase order's id, from GET /follow-up or GET /purchase-orders"},
)


class FollowUpQuerySchema(PageQuerySchema):
    client_id = fields.UUID(
        load_default=None, metadata={"description": "Only this client's orders"}
    )
    kind = fields.String(
        load_default=None,
        validate=validate.OneOf(KINDS),
        metadata={"description": "Only this kind of lateness: " + ", ".join(KINDS)},
    )


class FollowUpItemSchema(Schema):
    kind = fields.String(metadata={"description": ", ".join(KINDS)})
    po_id = fields.UUID()
    po_number = fields.String()
    revision = fields.Integer()
    po_status = fields.String()
    client_id = fields.UUID()
    client_name = fields.String()
    supplier_name = fields.String()
    line_no = fields.Integer(
        allow_none=True, metadata={"description": "The late line (late_line only)"}
    )
    what = fields.String(metadata={"description": "What is owed, in words"})
    late_business_hours = fields.Decimal(
        as_string=True,
        metadata={**DECIMAL, "description": "Beyond the target or the date, in business hours"},
    )
    lateness = fields.String(metadata={"description": "The same, in words"})
    chasers_sent = fields.Integer()
    last_chased_at = fields.DateTime(allow_none=True)


class ChaseInSchema(Schema):
    chase_no = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=10_000),
        metadata={
            "description": "The chaser this request means (chasers_sent + 1); a repeat of a"
            " number already sent sends nothing. Empty: always send the next one."
        },
    )


class ChaseOutSchema(Schema):
    po_id = fields.UUID(attribute="id")
    po_number = fields.String(attribute="number")
    chasers_sent = fields.Integer(attribute="chase_count")
    last_chased_at = fields.DateTime(allow_none=True)


FollowUpPageSchema = page_schema(FollowUpItemSchema, "FollowUpPage")


def _item(item: follow_up.LateItem) -> dict:
    po = item.po
    return {
        "kind": item.kind,
        "po_id": po.id,
        "po_number": po.number,
        "revision": po.revision,
        "po_status": po.status,
        "client_id": po.tenant_id,
        "client_name": item.client,
        "supplier_name": item.supplier,
        "line_no": item.line_no,
        "what": item.what,
        "late_business_hours": item.late_hours,
        "lateness": item.lateness,
        "chasers_sent": po.chase_count,
        "last_chased_at": po.last_chased_at,
    }


@blp.get("/follow-up")
@token_required(kind="provider")
@blp.arguments(FollowUpQuerySchema, location="query")
@blp.response(200, FollowUpPageSchema)
@blp.doc(summary="Late acknowledgements, lines and shipments across clients, latest first")
def list_follow_up(args):
    found = follow_up.late_items(dbs(), identity().organisation.id, client_id=args["client_id"])
    if args["kind"]:
        found = [i for i in found if i.kind == args["kind"]]
    return page_of([_item(i) for i in found], args["page"])


@blp.post("/follow-up/<uuid:po_id>/chase")
@token_required(kind="provider", permission="po.write")
@blp.arguments(ChaseInSchema)
@blp.response(201, ChaseOutSchema)
@blp.alt_response(200, schema=ChaseOutSchema, description="That chaser was sent already")
@blp.doc(summary="Email the supplier a reminder with the order's link")
def chase(data, po_id: uuid.UUID):
    po, sent = chasers.chase_number(dbs(), identity().organisation.id, po_id, data["chase_no"])
    return po, 201 if sent else 200
