"""The purchase-order API's shapes (marshmallow): what comes in, what goes out."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from baton.platform.inputs import MAX_PAGE
from baton.procurement.orders.models import ACK_OUTCOMES
from baton.procurement.orders.states import PURCHASE_ORDER
from baton.sourcing.requirements.schemas import InputSchema


class OrderQuerySchema(InputSchema):
    """The same filters as the orders pages (``open_orders``); an unknown value is a 422."""

    status = fields.String(
        load_default=None,
        validate=validate.OneOf([*PURCHASE_ORDER.labels, *PURCHASE_ORDER.filters]),
        metadata={
            "description": "a status, or a group: "
            + ", ".join(f"{k} ({v.lower()})" for k, v in PURCHASE_ORDER.filters.items())
        },
    )
    supplier_id = fields.UUID(
        load_default=None, metadata={"description": "only orders to this supplier (its id)"}
    )
    requirement = fields.String(
        load_default=None,
        validate=validate.Length(max=80),
        metadata={"description": "part of the client reference of a requirement on the order"},
    )
    promised_from = fields.Date(
        load_default=None,
        metadata={"description": "a line promised on or after this date (YYYY-MM-DD)"},
    )
    promised_to = fields.Date(
        load_default=None,
        metadata={"description": "a line promised on or before this date (YYYY-MM-DD)"},
    )
    overdue = fields.Boolean(
        load_default=False,
        metadata={
            "description": "only released orders with a line past its promised date and not"
            " fully received"
        },
    )
    q = fields.String(
        load_default=None,
        validate=validate.Length(max=80),
        metadata={"description": "part of the order number or of a line's description"},
    )
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": "from 1"},
    )

    @validates_schema
    def _range(self, data, **kwargs):
        start, end = data.get("promised_from"), data.get("promised_to")
        if start and end and start > end:
            raise ValidationError("The range ends before it starts.", "promised_to")


class DeliverySchema(Schema):
    date = fields.String()
    quantity = fields.String()


class LineOutSchema(Schema):
    line_no = fields.Integer()
    item_code = fields.String(allow_none=True)
    description = fields.String()
    quantity = fields.String()
    unit = fields.String()
    unit_price = fields.String()
    line_total = fields.String()
    schedule = fields.List(fields.Nested(DeliverySchema))
    specs = fields.List(fields.Dict())
    promised_date = fields.Date(allow_none=True)
    received_quantity = fields.String()
    rejected_quantity = fields.String()
    requirement_id = fields.UUID()
    snapshot_id = fields.UUID()


class OrderOutSchema(Schema):
    id = fields.UUID()
    number = fields.String()
    revision = fields.Integer()
    version = fields.Integer(metadata={"description": "send it back as If-Match to change a draft"})
    status = fields.String()
    client_id = fields.UUID()
    provider_id = fields.UUID()
    supplier_id = fields.UUID()
    supplier_name = fields.String(allow_none=True)
    currency = fields.String()
    total = fields.String()
    payment_terms = fields.String(allow_none=True)
    incoterms = fields.String(allow_none=True)
    ship_to = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    required_approvals = fields.Integer()
    submitted_at = fields.DateTime(allow_none=True)
    released_at = fields.DateTime(allow_none=True)
    acknowledged_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(LineOutSchema))


class OrderListItemSchema(Schema):
    id = fields.UUID()
    number = fields.String()
    status = fields.String()
    client_id = fields.UUID()
    supplier_id = fields.UUID()
    currency = fields.String()
    total = fields.String()
    created_at = fields.DateTime()


class OrderPageSchema(Schema):
    page = fields.Integer()
    has_next = fields.Boolean()
    items = fields.List(fields.Nested(OrderListItemSchema))


class CreateOrderSchema(InputSchema):
    lines = fields.List(
        fields.String(validate=validate.Length(max=80)),
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={
            "description": "ready lines as '<requirement id>:<line id>', from GET /purchase-orders/ready"
        },
    )


class ReadyLineSchema(Schema):
    key = fields.String()
    client_id = fields.UUID()
    requirement_id = fields.UUID()
    client_reference = fields.String()
    line_no = fields.Integer()
    item_code = fields.String(allow_none=True)
    description = fields.String()
    remaining = fields.String()
    unit = fields.String(allow_none=True)
    unit_price = fields.String(allow_none=True)
    supplier_id = fields.String(allow_none=True)
    currency = fields.String()


class ReadyPageSchema(Schema):
    page = fields.Integer()
    has_next = fields.Boolean()
    items = fields.List(fields.Nested(ReadyLineSchema))


class LineEditSchema(InputSchema):
    line_no = fields.Integer(required=True, validate=validate.Range(min=1, max=200))
    quantity = fields.String(validate=validate.Length(max=40))
    unit = fields.String(validate=validate.Length(max=40))
    unit_price = fields.String(validate=validate.Length(max=40))
    schedule = fields.List(fields.Nested(DeliverySchema), validate=validate.Length(max=20))
    remove = fields.Boolean()


class UpdateOrderSchema(InputSchema):
    ship_to = fields.String(allow_none=True, validate=validate.Length(max=4000))
    payment_terms = fields.String(allow_none=True, validate=validate.Length(max=400))
    incoterms = fields.String(allow_none=True, validate=validate.Length(max=40))
    notes = fields.String(allow_none=True, validate=validate.Length(max=10000))
    lines = fields.List(fields.Nested(LineEditSchema), validate=validate.Length(max=200))


class ReasonSchema(InputSchema):
    reason = fields.String(load_default=None, validate=validate.Length(max=4000))


class AckLineSchema(InputSchema):
    line_no = fields.Integer(required=True, validate=validate.Range(min=1, max=200))
    outcome = fields.String(required=True, validate=validate.OneOf(ACK_OUTCOMES))
    promised_date = fields.String(load_default=None, validate=validate.Length(max=20))
    quantity = fields.String(load_default=None, validate=validate.Length(max=40))
    unit_price = fields.String(load_default=None, validate=validate.Length(max=40))
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class AcknowledgementSchema(InputSchema):
    source = fields.String(required=True, validate=validate.OneOf(("email", "phone")))
    lines = fields.List(
        fields.Nested(AckLineSchema), required=True, validate=validate.Length(min=1, max=200)
    )
    note = fields.String(load_default=None, validate=validate.Length(max=4000))


class ReceiptLineSchema(InputSchema):
    line_no = fields.Integer(required=True, validate=validate.Range(min=1, max=200))
    quantity_received = fields.String(load_default=None, validate=validate.Length(max=40))
    quantity_rejected = fields.String(load_default=None, validate=validate.Length(max=40))
    reject_reason = fields.String(load_default=None, validate=validate.Length(max=1000))


class ReceiptSchema(InputSchema):
    lines = fields.List(
        fields.Nested(ReceiptLineSchema), required=True, validate=validate.Length(min=1, max=200)
    )
    reference = fields.String(load_default=None, validate=validate.Length(max=200))
    received_on = fields.String(load_default=None, validate=validate.Length(max=20))
    shipment_id = fields.UUID(
        load_default=None,
        metadata={"description": "the shipment notice the goods came against, if any"},
    )
