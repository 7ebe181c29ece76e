"""The order-issue API's shapes (marshmallow): what comes in, what goes out."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from baton.platform.inputs import MAX_PAGE
from baton.procurement.orders.issue_messages import BODY_LIMIT
from baton.procurement.orders.issue_models import ISSUE_CAUSES, ISSUE_PARTIES
from baton.procurement.orders.issue_states import ORDER_ISSUE
from baton.sourcing.requirements.schemas import InputSchema

WAITING = ("provider", "client", "supplier")


class IssueQuerySchema(InputSchema):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf([*ORDER_ISSUE.labels, *ORDER_ISSUE.filters]),
        metadata={"description": "a status, or unresolved (any but resolved)"},
    )
    waiting = fields.String(
        load_default=None,
        validate=validate.OneOf(WAITING),
        metadata={"description": "whom the issue waits on: provider, client or supplier"},
    )
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": "from 1"},
    )


class RaiseIssueSchema(InputSchema):
    cause = fields.String(
        required=True,
        validate=validate.OneOf(ISSUE_CAUSES),
        metadata={"description": "date, price, quality, specification or other"},
    )
    line_no = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=200),
        metadata={"description": "the order line it is about; absent for the whole order"},
    )
    title = fields.String(required=True, validate=validate.Length(max=200))
    message = fields.String(required=True, validate=validate.Length(max=BODY_LIMIT))


class MessageInSchema(InputSchema):
    message = fields.String(required=True, validate=validate.Length(max=BODY_LIMIT))


class RouteSchema(InputSchema):
    to = fields.String(
        required=True,
        validate=validate.OneOf(ISSUE_PARTIES),
        metadata={"description": "client (for a decision) or supplier (emailed its link)"},
    )
    message = fields.String(
        required=True,
        validate=validate.Length(max=BODY_LIMIT),
        metadata={"description": "what you ask of them; they read it"},
    )


class ResolveSchema(InputSchema):
    note = fields.String(required=True, validate=validate.Length(max=4000))


class AttachmentOutSchema(Schema):
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()


class MessageOutSchema(Schema):
    id = fields.UUID()
    author_kind = fields.String(metadata={"description": "provider, client or supplier_link"})
    author = fields.String()
    body = fields.String()
    created_at = fields.DateTime()
    attachment = fields.Nested(AttachmentOutSchema, allow_none=True)


class IssueOutSchema(Schema):
    id = fields.UUID()
    number = fields.Integer(metadata={"description": "1, 2, ... per order"})
    po_id = fields.UUID()
    po_number = fields.String(allow_none=True)
    client_id = fields.UUID()
    line_no = fields.Integer(allow_none=True)
    cause = fields.String()
    title = fields.String()
    status = fields.String()
    routed_to = fields.String(allow_none=True)
    waiting_on = fields.String(
        allow_none=True, metadata={"description": "whose clock runs: provider, client, supplier"}
    )
    resolution_note = fields.String(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    messages = fields.List(fields.Nested(MessageOutSchema))


class IssuePageSchema(Schema):
    page = fields.Integer()
    has_next = fields.Boolean()
    items = fields.List(fields.Nested(IssueOutSchema))
