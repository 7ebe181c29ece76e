"""The API's shapes for shipment notices, receipts and an order's attached files."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from baton.platform.api import page_schema
from baton.sourcing.requirements.schemas import InputSchema


class AttachmentSchema(Schema):
    id = fields.UUID(metadata={"description": "GET …/attachments/{id} downloads it"})
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()


class ShippedLineSchema(Schema):
    line_no = fields.Integer()
    quantity = fields.String(metadata={"description": "a decimal, as text"})


class ShipmentOutSchema(Schema):
    id = fields.UUID()
    po_id = fields.UUID()
    revision = fields.Integer(metadata={"description": "the order revision it ships against"})
    source = fields.String(metadata={"description": "supplier_link, email or phone"})
    carrier = fields.String(allow_none=True)
    tracking_number = fields.String(allow_none=True)
    shipped_on = fields.Date()
    expected_on = fields.Date(allow_none=True)
    note = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(ShippedLineSchema))
    packing_slip = fields.Nested(AttachmentSchema, allow_none=True)
    received = fields.Boolean(
        metadata={"description": "whether its goods have been received (against it or in full)"}
    )
    created_at = fields.DateTime()


ShipmentPageSchema = page_schema(ShipmentOutSchema, "ShipmentPage")


class ShipmentLineInSchema(InputSchema):
    line_no = fields.Integer(required=True, validate=validate.Range(min=1, max=200))
    quantity = fields.String(
        required=True,
        validate=validate.Length(max=40),
        metadata={"description": "the quantity shipped, a decimal as text"},
    )


class ShipmentInSchema(InputSchema):
    source = fields.String(
        required=True,
        validate=validate.OneOf(("email", "phone")),
        metadata={"description": "how the supplier told you: email or phone"},
    )
    carrier = fields.String(required=True, validate=validate.Length(max=200))
    tracking_number = fields.String(load_default=None, validate=validate.Length(max=200))
    shipped_on = fields.Date(
        load_default=None, metadata={"description": "YYYY-MM-DD; today when left out"}
    )
    expected_on = fields.Date(
        required=True,
        metadata={"description": "expected arrival, YYYY-MM-DD, not before shipped_on"},
    )
    note = fields.String(load_default=None, validate=validate.Length(max=4000))
    lines = fields.List(
        fields.Nested(ShipmentLineInSchema), required=True, validate=validate.Length(min=1, max=200)
    )
    idempotency_key = fields.String(
        load_default=None,
        validate=validate.Length(max=64),
        metadata={
            "description": "8-64 letters, digits, '-', '_', '.', ':'; sending the same key"
            " again answers the first notice and records nothing"
        },
    )


class ReceiptOutSchema(Schema):
    id = fields.UUID()
    line_no = fields.Integer()
    quantity_received = fields.String()
    quantity_rejected = fields.String()
    reject_reason = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    received_on = fields.Date()
    shipment_id = fields.UUID(allow_none=True)
    packing_slip = fields.Nested(AttachmentSchema, allow_none=True)
    created_at = fields.DateTime()


ReceiptPageSchema = page_schema(ReceiptOutSchema, "ReceiptPage")


class PackingSlipUploadSchema(Schema):
    file = Upload(
        required=True,
        metadata={"description": "the packing slip: PDF, PNG, JPEG or TIFF, up to 10 MB"},
    )
