"""API representations of statements and usage (GET /api/v1/billing/statement,
GET /api/v1/usage). Amounts and quantities are decimal strings, never floats."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

DECIMAL = {"type": "string", "format": "decimal", "example": "105.00"}
MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="Give a month as YYYY-MM.")


def decimal(description: str = "") -> fields.Decimal:
    return fields.Decimal(
        as_string=True, allow_none=True, metadata={**DECIMAL, "description": description}
    )


class BillingMonthQuerySchema(Schema):
    month = fields.String(
        load_default=None,
        validate=MONTH,
        metadata={"description": "The UTC calendar month, YYYY-MM; default: this month"},
    )


class BillingTierLineSchema(Schema):
    first = decimal("the tier's lower bound, in billable units")
    up_to = decimal("its upper bound; null: without end")
    quantity = decimal("billable units in this tier")
    unit_price = decimal()
    amount = decimal("rounded to the currency's minor unit")


class BillingMetricChargeSchema(Schema):
    metric = fields.String()
    quantity = decimal()
    included = decimal("the part of the included allowance used")
    billable = decimal()
    amount = decimal()
    tiers = fields.List(fields.Nested(BillingTierLineSchema))


class BillingPeriodSchema(Schema):
    plan_code = fields.String()
    plan_name = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    base_fee = decimal("the plan's monthly fee")
    base_amount = decimal("prorated by the second")
    metrics = fields.List(fields.Nested(BillingMetricChargeSchema))


class BillingCreditSchema(Schema):
    client_id = fields.UUID()
    client_name = fields.String()
    amount = decimal("negative")
    currency = fields.String()


class BillingClientShareSchema(Schema):
    client_id = fields.UUID()
    name = fields.String()
    quantities = fields.Dict(keys=fields.String(), values=fields.Decimal(as_string=True))
    amounts = fields.Dict(keys=fields.String(), values=fields.Decimal(as_string=True))
    usage_amount = decimal()
    credit_amount = decimal()
    total = decimal()


class BillingForecastSchema(Schema):
    elapsed_share = decimal("share of the month passed, 0 to 1")
    quantities = fields.Dict(keys=fields.String(), values=fields.Decimal(as_string=True))
    base_amount = decimal()
    usage_amount = decimal()
    total = decimal()


class BillingStatementSchema(Schema):
    month = fields.Function(lambda s: s.month.strftime("%Y-%m"))
    currency = fields.String(allow_none=True)
    periods = fields.List(fields.Nested(BillingPeriodSchema))
    clients = fields.List(fields.Nested(BillingClientShareSchema))
    credits = fields.List(fields.Nested(BillingCreditSchema))
    unplanned = fields.Dict(
        keys=fields.String(),
        values=fields.Decimal(as_string=True),
        metadata={"description": "usage outside any plan period: shown, not charged"},
    )
    base_amount = decimal()
    usage_amount = decimal()
    credit_amount = decimal()
    total = decimal()
    forecast = fields.Nested(BillingForecastSchema, allow_none=True)


class ClientUsageProviderSchema(Schema):
    provider_id = fields.UUID()
    name = fields.String()
    quantities = fields.Dict(keys=fields.String(), values=fields.Decimal(as_string=True))
    events = fields.Dict(keys=fields.String(), values=fields.Integer())


class ClientUsageSchema(Schema):
    month = fields.Function(lambda u: u.month.strftime("%Y-%m"))
    providers = fields.List(fields.Nested(ClientUsageProviderSchema))
