"""An engagement's SLA targets for integrations: both sides read, the provider's admin writes.

``PUT`` replaces every target at once (a missing target is refused, naming its
field), with the rules of ``sla_targets.update_targets``: a bad field answers
422 and nothing changes; saving what is already there records nothing.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields

from baton.platform.api import ApiBlueprint, token_required
from baton.platform.auth import identity
from baton.platform.errors import ValidationFailed
from baton.platform.web import dbs
from baton.tenants import sla_targets
from baton.tenants.engagement_settings import engagement_for

DECIMAL = {"type": "string", "format": "decimal"}

blp = ApiBlueprint(
    "api_sla_targets",
    __name__,
    description="An engagement's SLA targets and service credits",
    ids={"engagement_id": "the engagement's id, from GET /api/v1/engagements"},
)


class DecimalText(fields.Field):
    """A decimal sent as a string ("95.5") or a JSON number; kept as text so the
    service normalises and checks it (range, decimals) in one place."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError('Give a number as a string, e.g. "95".')
        return str(value)

    def _serialize(self, value: Any, attr, obj, **kwargs) -> str | None:
        return None if value is None else format(Decimal(value).normalize(), "f")


class TargetSchema(Schema):
    label = fields.String(dump_only=True, metadata={"description": "What the target measures"})
    owner = fields.String(
        dump_only=True,
        metadata={"description": "Whose promise it is: provider, client or supplier"},
    )
    percent = DecimalText(
        required=True, metadata={**DECIMAL, "description": "At least this percentage (0-100)"}
    )
    within_hours = DecimalText(
        allow_none=True,
        load_default=None,
        metadata={
            **DECIMAL,
            "description": "Within this many business hours (null for OTIF, which is by "
            "the promised date)",
        },
    )
    credit_percent = DecimalText(
        load_default="0",
        metadata={**DECIMAL, "description": "Percentage of the month's fee credited when missed"},
    )


TargetsSchema = Schema.from_dict(
    {
        metric: fields.Nested(TargetSchema, required=True, metadata={"description": kind.label})
        for metric, kind in sla_targets.KINDS.items()
    },
    name="SlaTargetsByMetric",
)


class SlaTargetsSchema(Schema):
    engagement_id = fields.UUID(dump_only=True)
    client_id = fields.UUID(dump_only=True)
    provider_id = fields.UUID(dump_only=True)
    targets = fields.Nested(TargetsSchema, required=True)
    monthly_fee = DecimalText(
        allow_none=True, load_default=None, metadata={**DECIMAL, "description": "The month's fee"}
    )
    fee_currency = fields.String(
        allow_none=True, load_default=None, metadata={"description": "ISO 4217, e.g. EUR"}
    )
    credit_cap_percent = DecimalText(
        allow_none=True,
        load_default=None,
        metadata={**DECIMAL, "description": "Credits are capped at this percentage of the fee"},
    )


def _represent(engagement) -> dict:
    return {
        "engagement_id": engagement.id,
        "client_id": engagement.client_id,
        "provider_id": engagement.provider_id,
        "targets": {
            metric: {
                "label": t.label,
                "owner": t.owner,
                "percent": t.percent,
                "within_hours": t.within_hours,
                "credit_percent": t.credit_percent,
            }
            for metric, t in sla_targets.targets_of(engagement).items()
        },
        "monthly_fee": engagement.monthly_fee,
        "fee_currency": engagement.fee_currency,
        "credit_cap_percent": engagement.credit_cap_percent,
    }


def _flat(data: dict) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for metric, target in data["targets"].items():
        flat[f"{metric}_percent"] = target.get("percent")
        flat[f"{metric}_hours"] = target.get("within_hours")
        flat[f"{metric}_credit"] = target.get("credit_percent")
    for name in ("monthly_fee", "fee_currency", "credit_cap_percent"):
        flat[name] = data.get(name)
    return flat


# The service names form fields; the API names the JSON path they came from.
_SUFFIX = {"_percent": "percent", "_hours": "within_hours", "_credit": "credit_percent"}


def _api_field(name: str) -> str:
    for metric in sla_targets.KINDS:
        for suffix, key in _SUFFIX.items():
            if name == f"{metric}{suffix}":
                return f"targets.{metric}.{key}"
    return name


@blp.get("/engagements/<uuid:engagement_id>/sla-targets")
@token_required()
@blp.response(200, SlaTargetsSchema)
def read_targets(engagement_id: uuid.UUID):
    """The engagement's targets, credits and fee (both sides of the engagement)."""
    return _represent(engagement_for(dbs(), identity().organisation, engagement_id))


@blp.put("/engagements/<uuid:engagement_id>/sla-targets")
@token_required(kind="provider", permission="engagement.manage")
@blp.arguments(SlaTargetsSchema)
@blp.response(200, SlaTargetsSchema)
def replace_targets(data, engagement_id: uuid.UUID):
    """Replace every target, the credits and the fee (the provider's admin)."""
    try:
        engagement = sla_targets.update_targets(
            dbs(), identity().organisation, engagement_id, _flat(data)
        )
    except ValidationFailed as exc:
        raise ValidationFailed({_api_field(k): v for k, v in exc.errors.items()}) from None
    return _represent(engagement)
