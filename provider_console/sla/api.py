"""The provider's SLA standing across its clients, for integrations."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from baton.platform.api import ApiBlueprint, token_required
from baton.platform.auth import identity
from baton.platform.web import dbs
from baton.procurement.sla import provider_dashboard as dashboard

DECIMAL = {"type": "string", "format": "decimal"}

blp = ApiBlueprint("api_provider_sla", __name__, description="The provider's SLA across clients")


class SlaQuerySchema(Schema):
    period = fields.String(
        load_default=None,
        validate=validate.Length(max=7),
        metadata={"description": "The month as YYYY-MM; empty: this month (provider's zone)"},
    )


class StandingSchema(Schema):
    metric = fields.String(metadata={"description": "The target: handoff_to_release, ..."})
    label = fields.String()
    owner = fields.String(metadata={"description": "Whose promise: provider, client, supplier"})
    target_percent = fields.Decimal(as_string=True, metadata=DECIMAL)
    compliance_percent = fields.Decimal(
        as_string=True,
        allow_none=True,
        metadata={**DECIMAL, "description": "On the owner's own time; null: nothing judged"},
    )
    actual_percent = fields.Decimal(
        as_string=True,
        allow_none=True,
        metadata={**DECIMAL, "description": "On all time (what the client experienced)"},
    )
    judged = fields.Integer()
    missed = fields.Boolean()


class BreachCountSchema(Schema):
    provider = fields.Integer()
    client = fields.Integer()
    supplier = fields.Integer()


class ProviderCreditSchema(Schema):
    amount = fields.Decimal(as_string=True, metadata=DECIMAL)
    currency = fields.String(allow_none=True)
    credit_percent = fields.Decimal(as_string=True, metadata=DECIMAL)
    fee = fields.Decimal(as_string=True, allow_none=True, metadata=DECIMAL)


class ClientStandingSchema(Schema):
    client_id = fields.UUID()
    client_name = fields.String()
    engagement_id = fields.UUID()
    targets = fields.List(fields.Nested(StandingSchema))
    breaches = fields.Nested(
        BreachCountSchema, metadata={"description": "This month's breaches by whose time"}
    )
    credit = fields.Nested(ProviderCreditSchema, allow_none=True)


class RiskItemSchema(Schema):
    kind = fields.String(metadata={"description": "requirement or order_issue"})
    id = fields.UUID(attribute="subject_id")
    label = fields.String()
    client_id = fields.UUID()
    client_name = fields.String()
    what = fields.String()
    due_at = fields.DateTime(allow_none=True)
    state = fields.String(metadata={"description": "at_risk (due soon) or breached (past due)"})
    buyer = fields.String(allow_none=True, attribute="buyer_name")
    po_id = fields.UUID(allow_none=True)


class ProviderSlaSchema(Schema):
    period = fields.String(metadata={"description": "YYYY-MM"})
    risk_hours = fields.Decimal(
        as_string=True,
        metadata={**DECIMAL, "description": "The at-risk window in business hours"},
    )
    clients = fields.List(fields.Nested(ClientStandingSchema))
    at_risk = fields.List(
        fields.Nested(RiskItemSchema),
        metadata={"description": "Open items on the provider's clock, past due first"},
    )


@blp.get("/provider/sla")
@token_required(kind="provider")
@blp.arguments(SlaQuerySchema, location="query")
@blp.response(200, ProviderSlaSchema)
def provider_sla(args):
    """Each client's standing against its targets this month, credits, and the items at risk."""
    org = identity().organisation
    period = dashboard.parse_period(args.get("period"), org.timezone)
    sla = dashboard.read(dbs(), org, period)
    return {
        "period": sla.period.strftime("%Y-%m"),
        "risk_hours": sla.risk_hours,
        "clients": [
            {
                "client_id": c.client.id,
                "client_name": c.client.name,
                "engagement_id": c.engagement.id,
                "targets": [
                    {
                        "metric": s.metric,
                        "label": dashboard.label_of(s.metric),
                        "owner": dashboard.KINDS[s.metric].owner,
                        "target_percent": s.target_percent,
                        "compliance_percent": s.compliance_percent,
                        "actual_percent": s.actual_percent,
                        "judged": s.judged,
                        "missed": s.missed,
                    }
                    for s in c.standings
                ],
                "breaches": c.breaches,
                "credit": c.credit,
            }
            for c in sla.clients
        ],
        "at_risk": [
            {**vars(i), "state": "breached" if i.breached else "at_risk"}
            for i in sla.breached + sla.at_risk
        ],
    }
