"""API representations of organisations, members and engagements."""

from __future__ import annotations

from marshmallow import Schema, fields


class OrganisationSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    kind = fields.String()
    code = fields.String()


class MeSchema(Schema):
    organisation = fields.Nested(OrganisationSchema)
    role = fields.String()
    token = fields.String(metadata={"description": "Label of the token used"})


HOURS = {"type": "string", "format": "decimal", "example": "48.00"}


class EngagementSchema(Schema):
    id = fields.UUID()
    client = fields.Nested(OrganisationSchema)
    provider = fields.Nested(OrganisationSchema)
    status = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)
    # Sent as strings ("48.00") so no client rounds them through a float; the
    # document has to say so, apispec would call a Decimal a number.
    sla_handoff_to_release_hours = fields.Decimal(as_string=True, metadata=HOURS)
    sla_release_to_ack_hours = fields.Decimal(as_string=True, metadata=HOURS)


class MemberSchema(Schema):
    id = fields.UUID()
    name = fields.String(attribute="user.name")
    email = fields.String(attribute="user.email")
    role = fields.String()
    is_active = fields.Boolean()
