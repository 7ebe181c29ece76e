"""The change-order API's shapes: what comes in, what goes out."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from baton.procurement.orders.change_models import CHANGE_CAUSES
from baton.procurement.orders.schemas import DeliverySchema
from baton.sourcing.requirements.schemas import InputSchema


class SpecOutSchema(Schema):
    revision_id = fields.String()
    document_number = fields.String()
    revision_no = fields.Integer()


class AddedLineSchema(Schema):
    key = fields.String(metadata={"description": "the ready line's key it was added from"})
    requirement_id = fields.String()
    client_reference = fields.String(allow_none=True)
    item_code = fields.String(allow_none=True)
    description = fields.String()
    unit = fields.String()


class ProposedLineSchema(Schema):
    line_no = fields.Integer()
    quantity = fields.String()
    unit_price = fields.String()
    schedule = fields.List(fields.Nested(DeliverySchema))
    specs = fields.List(fields.Nested(SpecOutSchema))
    removed = fields.Boolean(
        dump_default=False, metadata={"description": "the change order removes this line"}
    )
    added = fields.Nested(
        AddedLineSchema,
        allow_none=True,
        dump_default=None,
        metadata={"description": "set when the change order adds this line"},
    )


class DiffSchema(Schema):
    line_no = fields.Integer(allow_none=True)
    field = fields.String()
    label = fields.String()
    before = fields.String(allow_none=True)
    after = fields.String(allow_none=True)


class ChangeExceptionSchema(Schema):
    line_no = fields.Integer(allow_none=True)
    field = fields.String()
    label = fields.String()
    snapshot_value = fields.String(allow_none=True)
    po_value = fields.String(allow_none=True)
    status = fields.String()


class HeaderSchema(Schema):
    ship_to = fields.String(allow_none=True)
    payment_terms = fields.String(allow_none=True)
    incoterms = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)


class ChangeOutSchema(Schema):
    id = fields.UUID()
    po_id = fields.UUID()
    number = fields.Integer(metadata={"description": "1, 2, ... per order"})
    base_revision = fields.Integer(metadata={"description": "the revision in force it changes"})
    status = fields.String()
    cause = fields.String()
    reason = fields.String()
    version = fields.Integer(metadata={"description": "send it back as If-Match to change a draft"})
    header = fields.Nested(HeaderSchema)
    lines = fields.List(fields.Nested(ProposedLineSchema))
    diff = fields.List(fields.Nested(DiffSchema))
    total_before = fields.String()
    total_after = fields.String()
    material_reasons = fields.List(fields.String())
    exceptions = fields.List(fields.Nested(ChangeExceptionSchema))
    required_approvals = fields.Integer()
    submitted_at = fields.DateTime(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    released_at = fields.DateTime(allow_none=True)


class ChangeLineEditSchema(InputSchema):
    line_no = fields.Integer(required=True, validate=validate.Range(min=1, max=200))
    quantity = fields.String(validate=validate.Length(max=40))
    unit_price = fields.String(validate=validate.Length(max=40))
    schedule = fields.List(fields.Nested(DeliverySchema), validate=validate.Length(max=20))
    specs = fields.List(
        fields.String(validate=validate.Length(max=40)),
        validate=validate.Length(max=10),
        metadata={"description": "the specification revision ids the line is bought to"},
    )
    remove = fields.Boolean(
        metadata={
            "description": "true: remove the line (nothing received on it); false: keep it."
            " An added line removed is simply not added."
        }
    )


class ChangeEditSchema(InputSchema):
    reason = fields.String(validate=validate.Length(max=4000))
    cause = fields.String(validate=validate.OneOf(CHANGE_CAUSES))
    ship_to = fields.String(allow_none=True, validate=validate.Length(max=4000))
    payment_terms = fields.String(allow_none=True, validate=validate.Length(max=400))
    incoterms = fields.String(allow_none=True, validate=validate.Length(max=40))
    notes = fields.String(allow_none=True, validate=validate.Length(max=10000))
    lines = fields.List(fields.Nested(ChangeLineEditSchema), validate=validate.Length(max=200))
    add = fields.List(
        fields.String(validate=validate.Length(max=80)),
        validate=validate.Length(max=50),
        metadata={
            "description": "keys of lines ready to order (GET /purchase-orders/ready) of this"
            " order's client, supplier and currency, added as new lines"
        },
    )


class ChangeCreateSchema(ChangeEditSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    cause = fields.String(required=True, validate=validate.OneOf(CHANGE_CAUSES))
    counter = fields.Boolean(
        load_default=False,
        metadata={"description": "start from the supplier's proposed changes, which it counters"},
    )


class OrderRevisionLineSchema(ProposedLineSchema):
    item_code = fields.String(allow_none=True)
    description = fields.String()
    unit = fields.String()


class OrderRevisionHeaderSchema(HeaderSchema):
    currency = fields.String()
    total = fields.String()


class OrderRevisionSchema(Schema):
    revision = fields.Integer()
    in_force = fields.Boolean()
    released_at = fields.DateTime(allow_none=True)
    total = fields.String()
    change_id = fields.UUID(allow_none=True)
    header = fields.Nested(OrderRevisionHeaderSchema)
    lines = fields.List(fields.Nested(OrderRevisionLineSchema))


class OrderRevisionPageSchema(Schema):
    page = fields.Integer()
    has_next = fields.Boolean()
    items = fields.List(fields.Nested(OrderRevisionSchema))
