"""API representations of the SLA figures (GET /api/v1/sla/...)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from baton.platform.api import PageQuerySchema, page_schema
from baton.procurement.sla.dashboard_terms import METRICS, ONLY


def decimal(description: str = "", *, nullable: bool = True) -> fields.Decimal:
    """A decimal sent as a string ("95.0"), so no client rounds it through a float;
    the document says so (apispec would call it a number)."""
    meta = {"type": "string", "format": "decimal", "example": "95.0"}
    if description:
        meta["description"] = description
    return fields.Decimal(as_string=True, allow_none=nullable, metadata=meta)


MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="Give a month as YYYY-MM.")


class MonthsQuerySchema(PageQuerySchema):
    engagement_id = fields.UUID(
        metadata={"description": "the engagement with one provider; default: the client's first"}
    )
    from_ = fields.String(
        data_key="from",
        validate=MONTH,
        metadata={"description": "the first month, YYYY-MM; default: 11 months before 'to'"},
    )
    to = fields.String(
        validate=MONTH, metadata={"description": "the last month, YYYY-MM; default: this month"}
    )


class MeasuresQuerySchema(PageQuerySchema):
    engagement_id = fields.UUID(
        metadata={"description": "the engagement; default: the client's first"}
    )
    period = fields.String(
        validate=MONTH,
        metadata={"description": "the month the measures count in, YYYY-MM; default: this month"},
    )
    metric = fields.String(
        validate=validate.OneOf(METRICS),
        metadata={"description": "one metric (docs/sla.md); default: every metric"},
    )
    only = fields.String(
        load_default="all",
        validate=validate.OneOf(ONLY),
        metadata={
            "description": "breaches (missed on all time), judged, overdue (open lines past"
            " their promised date, any month) or all"
        },
    )
    cause = fields.String(
        validate=validate.Length(max=32),
        metadata={"description": "a return reason, change-order cause or issue cause"},
    )


class BreachesSchema(Schema):
    provider = fields.Integer(metadata={"description": "breaches on the provider's time"})
    client = fields.Integer(metadata={"description": "breaches on the client's time"})
    supplier = fields.Integer(metadata={"description": "breaches on the supplier's time"})


class TargetStandingSchema(Schema):
    metric = fields.String(metadata={"description": "the target (tenants/sla_targets.py KINDS)"})
    label = fields.String()
    owner = fields.String(metadata={"description": "whose promise: provider, client or supplier"})
    within_hours = decimal()
    target_percent = decimal(nullable=False)
    actual_percent = decimal("within the limit on all time")
    compliance_percent = decimal("met on the owner's own time")
    judged = fields.Integer()
    missed = fields.Boolean(metadata={"description": "compliance under the target"})
    breaches = fields.Nested(BreachesSchema)


class MonthlyFigureSchema(Schema):
    metric = fields.String()
    cause = fields.String(metadata={"description": "'' for the metric as a whole"})
    items = fields.Integer()
    judged = fields.Integer()
    within = fields.Integer()
    owner_missed = fields.Integer()
    breaches_provider = fields.Integer()
    breaches_client = fields.Integer()
    breaches_supplier = fields.Integer()
    in_full = fields.Integer()
    on_time = fields.Integer()
    on_time_need_by = fields.Integer()
    need_by_judged = fields.Integer()
    p50_hours = decimal()
    p90_hours = decimal()
    provider_hours = decimal()
    client_hours = decimal()
    supplier_hours = decimal()
    value_sum = decimal()
    value_mean = decimal()
    value_stddev = decimal()


class CreditSchema(Schema):
    credit_percent = decimal(nullable=False)
    fee = decimal()
    amount = decimal(nullable=False)
    currency = fields.String(allow_none=True)
    missed = fields.List(
        fields.Dict(keys=fields.String(), values=fields.String()),
        metadata={"description": "per missed target: metric, target and compliance %, credit %"},
    )


class MonthSchema(Schema):
    period = fields.String(metadata={"description": "YYYY-MM"})
    engagement_id = fields.UUID()
    provider = fields.String()
    targets = fields.List(fields.Nested(TargetStandingSchema))
    figures = fields.List(fields.Nested(MonthlyFigureSchema))
    credit = fields.Nested(CreditSchema, allow_none=True)


class MeasureSchema(Schema):
    id = fields.UUID()
    metric = fields.String()
    subject_type = fields.String()
    subject_id = fields.UUID()
    subject_label = fields.String()
    po_id = fields.UUID(allow_none=True)
    requirement_id = fields.UUID(allow_none=True)
    supplier_id = fields.UUID(allow_none=True)
    cause = fields.String(allow_none=True)
    period = fields.Date(allow_none=True)
    started_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    elapsed_hours = decimal()
    provider_hours = decimal()
    client_hours = decimal()
    supplier_hours = decimal()
    within = fields.Boolean(allow_none=True)
    owner_met = fields.Boolean(allow_none=True)
    breach_party = fields.String(allow_none=True)
    in_full = fields.Boolean(allow_none=True)
    on_time = fields.Boolean(allow_none=True)
    on_time_need_by = fields.Boolean(allow_none=True)
    value = decimal()


MonthPageSchema = page_schema(MonthSchema, "SlaMonthPage")
MeasurePageSchema = page_schema(MeasureSchema, "SlaMeasurePage")
