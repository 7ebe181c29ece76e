"""The supplier scorecard's API shape (GET /api/v1/suppliers/<id>/scorecard)."""

from __future__ import annotations

from marshmallow import Schema, fields

PERCENT = {"as_string": True, "allow_none": True}
# Decimals travel as strings ("66.7"), so no precision is lost on the way.
DECIMAL = {"type": "string", "format": "decimal"}


class ScorecardFiguresSchema(Schema):
    otif_percent = fields.Decimal(
        **PERCENT, metadata=DECIMAL | {"description": "lines on time in full / lines judged, in %"}
    )
    deliveries_judged = fields.Integer(
        metadata={"description": "lines whose promised date passed or that were completed"}
    )
    deliveries_within = fields.Integer(metadata={"description": "of those, on time in full"})
    ack_median_hours = fields.Decimal(
        **PERCENT,
        metadata=DECIMAL | {"description": "median business hours from release to acknowledgement"},
    )
    ack_rate_percent = fields.Decimal(
        **PERCENT,
        metadata=DECIMAL | {"description": "orders acknowledged / acknowledgements due, in %"},
    )
    acks_judged = fields.Integer(
        metadata={"description": "orders whose acknowledgement was due or came"}
    )
    acknowledged = fields.Integer(metadata={"description": "of those, acknowledged"})
    lead_time_mean_days = fields.Decimal(
        **PERCENT,
        metadata=DECIMAL
        | {"description": "mean days completed after the promised date (late positive)"},
    )
    lead_time_stddev_days = fields.Decimal(
        **PERCENT, metadata=DECIMAL | {"description": "sample standard deviation of those days"}
    )
    lines_completed = fields.Integer(metadata={"description": "lines completed (received in full)"})
    rejection_percent = fields.Decimal(
        **PERCENT,
        metadata=DECIMAL
        | {"description": "quantity rejected / quantity received at goods-in, in %"},
    )
    quantity_received = fields.Decimal(
        as_string=True, metadata=DECIMAL | {"description": "quantity received at goods-in"}
    )
    quantity_rejected = fields.Decimal(
        as_string=True, metadata=DECIMAL | {"description": "of which rejected"}
    )
    changed_acknowledgements = fields.Integer(
        metadata={"description": "acknowledgements that changed a line's quantity, price or date"}
    )
    supplier_change_orders = fields.Integer(
        metadata={"description": "change orders made for a supplier change"}
    )
    change_requests = fields.Integer(metadata={"description": "the two together"})


class ScorecardMonthSchema(ScorecardFiguresSchema):
    month = fields.String(metadata={"description": "YYYY-MM, in the client's time zone"})


class ScorecardSchema(Schema):
    supplier_id = fields.UUID()
    current_month = fields.String(metadata={"description": "YYYY-MM: the newest month counted"})
    otif_threshold_percent = fields.Decimal(
        as_string=True,
        metadata=DECIMAL | {"description": "the client's threshold (its approval policy)"},
    )
    flagged = fields.Boolean(
        metadata={"description": "OTIF over the last 3 months is under the threshold"}
    )
    last_3_months = fields.Nested(ScorecardFiguresSchema)
    last_12_months = fields.Nested(ScorecardFiguresSchema)
    months = fields.List(
        fields.Nested(ScorecardMonthSchema), metadata={"description": "newest first, 12 months"}
    )


def dump_shape(card) -> dict:
    """The scorecard as the schema's field names expect it."""

    def figures(f) -> dict:
        data = {name: getattr(f, name) for name in ScorecardFiguresSchema._declared_fields}
        return data

    return {
        "supplier_id": card.supplier_id,
        "current_month": card.current.strftime("%Y-%m"),
        "otif_threshold_percent": card.threshold_percent,
        "flagged": card.flagged,
        "last_3_months": figures(card.windows[3]),
        "last_12_months": figures(card.windows[12]),
        "months": [
            {"month": m.period.strftime("%Y-%m"), **figures(m.figures)} for m in card.months
        ],
    }
