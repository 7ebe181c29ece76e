"""Input and output shapes of requirements, shared by the HTML forms and the API.

Input schemas turn strings (form posts, CSV cells) or JSON into typed values;
a type error raises ``ValidationFailed`` keyed by the same field paths the
readiness check uses (``lines[2].quantity``), so every audience reads the
same names. Rules that need the database (does this supplier exist for this
tenant?) live in the service, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields, pre_load, validate

from baton.platform.api import page_schema
from baton.platform.errors import ValidationFailed
from baton.platform.inputs import MAX_PAGE
from baton.sourcing.requirements.models import PRIORITIES, RETURN_REASONS
from baton.sourcing.requirements.states import QUEUE, REQUIREMENT
from baton.sourcing.suppliers.models import INCOTERMS

NUMBER = {"invalid": "Enter a number, like 12.50.", "special": "Enter a number, like 12.50."}
DATE = {"invalid": "Enter a date as YYYY-MM-DD, like 2027-03-31."}
ID = {"invalid_uuid": "Not a valid id."}


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested messages -> ``{"lines[1].quantity": "Enter a number…"}``."""
    out: dict[str, str] = {}
    if isinstance(messages, list):
        if messages and all(isinstance(m, str) for m in messages):
            out[prefix or "_form"] = messages[0]
            return out
        for item in messages:
            out.update(flatten_errors(item, prefix))
        return out
    if isinstance(messages, dict):
        for key, value in messages.items():
            if isinstance(key, int):
                path = f"{prefix}[{key + 1}]"
            elif key == "_schema":
                path = prefix or "_form"
            else:
                name = "specs" if key == "spec_revision_ids" else key
                path = f"{prefix}.{name}" if prefix else name
            if prefix.endswith(".specs") and isinstance(key, int):
                path = prefix
            out.update(flatten_errors(value, path))
        return out
    out[prefix or "_form"] = str(messages)
    return out


class InputSchema(Schema):
    """Blank strings are absent values, and errors come out as ValidationFailed."""

    @pre_load
    def _blanks_to_none(self, data, **kwargs):
        if not isinstance(data, Mapping):
            return data
        cleaned = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if value == "":
                    value = None
            cleaned[key] = value
        return cleaned

    def handle_error(self, error, data, *, many, **kwargs):
        failed = ValidationFailed(flatten_errors(error.messages))
        failed.valid_data = error.valid_data  # what did parse, for DraftInputSchema
        raise failed


class NestedInputSchema(InputSchema):
    """Inside another schema: its errors travel up to the outer one's paths."""

    def handle_error(self, error, data, *, many, **kwargs):
        return None


class LineInputSchema(NestedInputSchema):
    id = fields.UUID(load_default=None, allow_none=True, error_messages=ID)
    item_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    description = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=500)
    )
    quantity = fields.Decimal(load_default=None, allow_none=True, error_messages=NUMBER)
    unit = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=16))
    unit_price = fields.Decimal(load_default=None, allow_none=True, error_messages=NUMBER)
    need_by = fields.Date(load_default=None, allow_none=True, error_messages=DATE)
    spec_required = fields.Boolean(load_default=False)
    spec_revision_ids = fields.List(
        fields.UUID(error_messages=ID),
        load_default=list,
        metadata={"description": "Ids of the specification revisions the line is bought to"},
    )


# Where DraftInputSchema puts the cells it could not parse (see there).
TYPE_ERRORS = "_type_errors"


class DraftInputSchema(InputSchema):
    """A draft's fields. A cell that does not parse (``12,50`` where a number
    goes) does not stop the load: the rest is loaded and the cell's error
    travels under ``TYPE_ERRORS``, so the draft service reports it together
    with every other problem (a duplicate reference, a missing title) at once,
    for the form and the API alike.
    """

    def load(self, data, *args, **kwargs):
        try:
            return super().load(data, *args, **kwargs)
        except ValidationFailed as exc:
            valid = getattr(exc, "valid_data", None)
            valid = dict(valid) if isinstance(valid, dict) else {}
            if "lines" in valid:
                valid["lines"] = [line for line in valid["lines"] or [] if isinstance(line, dict)]
            return valid | {TYPE_ERRORS: exc.errors}

    client_reference = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=64)
    )
    title = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    engagement_id = fields.UUID(
        load_default=None,
        allow_none=True,
        error_messages=ID,
        metadata={"description": "The engagement (procurement provider) to hand off to"},
    )
    supplier_id = fields.UUID(load_default=None, allow_none=True, error_messages=ID)
    currency = fields.String(load_default=None, allow_none=True)
    payment_terms = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=100)
    )
    incoterms = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(INCOTERMS, error="Use an Incoterms 2020 code, like FCA or DAP."),
    )
    quote_reference = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=100)
    )
    quote_valid_until = fields.Date(load_default=None, allow_none=True, error_messages=DATE)
    ship_to = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    sourcing_notes = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=10000)
    )
    assumptions = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=10000)
    )
    priority = fields.String(
        load_default="normal",
        validate=validate.OneOf(PRIORITIES, error=f"Choose one of {', '.join(PRIORITIES)}."),
    )
    lines = fields.List(fields.Nested(LineInputSchema), load_default=list)


class DraftPatchSchema(DraftInputSchema):
    """Only the fields sent change; ``lines``, when sent, replaces every line."""

    def __init__(self, **kwargs):
        super().__init__(partial=True, **kwargs)


class SubmitInputSchema(InputSchema):
    accept_warnings = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Hand off despite readiness warnings (hard failures always refuse)"
        },
    )


class ReturnReasonSchema(NestedInputSchema):
    code = fields.String(
        required=True,
        validate=validate.OneOf(
            tuple(RETURN_REASONS), error=f"Choose one of {', '.join(RETURN_REASONS)}."
        ),
    )
    field = fields.String(load_default=None, allow_none=True)
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ReturnInputSchema(InputSchema):
    reasons = fields.List(fields.Nested(ReturnReasonSchema), required=True)
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))


class AcceptInputSchema(InputSchema):
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))


# --- output -----------------------------------------------------------------------------


class FindingSchema(Schema):
    field = fields.String()
    severity = fields.String(metadata={"description": "error (blocks acceptance) or warning"})
    code = fields.String()
    message = fields.String()


class ReadinessSchema(Schema):
    ready = fields.Boolean()
    hard_failures = fields.Integer()
    warnings = fields.Integer()
    findings = fields.List(fields.Nested(FindingSchema))


class LineOutputSchema(Schema):
    id = fields.UUID()
    line_no = fields.Integer()
    item_code = fields.String(allow_none=True)
    description = fields.String()
    quantity = fields.String(allow_none=True, metadata={"description": "A decimal, as text"})
    unit = fields.String(allow_none=True)
    unit_price = fields.String(allow_none=True, metadata={"description": "A decimal, as text"})
    total = fields.String(
        allow_none=True,
        metadata={
            "description": "quantity × unit price, a decimal as text (null while either is missing)"
        },
    )
    need_by = fields.Date(allow_none=True)
    spec_required = fields.Boolean()
    spec_revision_ids = fields.List(fields.UUID())


class ReasonOutputSchema(Schema):
    code = fields.String()
    field = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)


class RequirementOutputSchema(Schema):
    id = fields.UUID()
    client_reference = fields.String()
    title = fields.String()
    status = fields.String()
    engagement_id = fields.UUID()
    provider_id = fields.UUID()
    supplier_id = fields.UUID(allow_none=True)
    currency = fields.String()
    payment_terms = fields.String(allow_none=True)
    incoterms = fields.String(allow_none=True)
    quote_reference = fields.String(allow_none=True)
    quote_valid_until = fields.Date(allow_none=True)
    ship_to = fields.String(allow_none=True)
    sourcing_notes = fields.String(allow_none=True)
    assumptions = fields.String(allow_none=True)
    priority = fields.String()
    submitted_at = fields.DateTime(allow_none=True)
    sla_due_at = fields.DateTime(allow_none=True)
    snapshot_version = fields.Integer(allow_none=True)
    snapshot_sha256 = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(LineOutputSchema))
    total_value = fields.String(
        allow_none=True,
        metadata={"description": "sum of the line totals in currency, a decimal as text"},
    )
    readiness = fields.Nested(ReadinessSchema)
    return_reasons = fields.List(fields.Nested(ReasonOutputSchema))


class QueueItemSchema(Schema):
    id = fields.UUID()
    client_id = fields.UUID()
    client_name = fields.String()
    client_reference = fields.String()
    title = fields.String()
    status = fields.String()
    priority = fields.String()
    ready = fields.Boolean()
    submitted_at = fields.DateTime()
    sla_due_at = fields.DateTime(allow_none=True)
    earliest_need_by = fields.Date(allow_none=True)
    assigned_buyer_id = fields.UUID(allow_none=True)
    assigned_buyer = fields.String(allow_none=True)
    supplier_name = fields.String(allow_none=True)


class RequirementQuerySchema(InputSchema):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf([*REQUIREMENT.labels, *REQUIREMENT.filters]),
        metadata={"description": "a status, or with_provider (submitted or in review)"},
    )
    q = fields.String(
        load_default=None, metadata={"description": "words of the title or the reference"}
    )
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": "from 1"},
    )


RequirementPageSchema = page_schema(RequirementOutputSchema, "RequirementPage")
QueuePageSchema = page_schema(QueueItemSchema, "QueuePage")


class QueueQuerySchema(InputSchema):
    client_id = fields.UUID(
        load_default=None, metadata={"description": "one client's id, from GET /api/v1/engagements"}
    )
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(sorted(QUEUE)),
        metadata={"description": f"one of {', '.join(sorted(QUEUE))}"},
    )
    buyer = fields.String(load_default=None, metadata={"description": "me, none, or a user id"})
    priority = fields.String(
        load_default=None,
        validate=validate.OneOf(PRIORITIES),
        metadata={"description": f"one of {', '.join(PRIORITIES)}"},
    )
    need_by_from = fields.Date(
        load_default=None, metadata={"description": "earliest need-by on or after, YYYY-MM-DD"}
    )
    need_by_to = fields.Date(
        load_default=None, metadata={"description": "earliest need-by on or before, YYYY-MM-DD"}
    )
    readiness = fields.String(
        load_default=None,
        validate=validate.OneOf(("ready", "not_ready")),
        metadata={"description": "ready or not_ready"},
    )
    q = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "words of the reference, title, supplier name or an item code"},
    )
    sort = fields.String(
        load_default="sla",
        allow_none=True,
        validate=validate.OneOf(("sla", "need_by", "age")),
        metadata={"description": "sla (default), need_by or age"},
    )
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": f"the page, from 1 to {MAX_PAGE:,}; 50 items a page"},
    )
