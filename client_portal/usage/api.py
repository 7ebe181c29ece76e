"""The client's share of its providers' usage, for integrations (quantities only)."""

from __future__ import annotations

from baton.platform.api import ApiBlueprint, token_required
from baton.platform.auth import identity
from baton.platform.web import dbs
from baton.tenants.billing import statements
from baton.tenants.billing.client_usage import client_usage
from baton.tenants.billing.schemas import BillingMonthQuerySchema, ClientUsageSchema

blp = ApiBlueprint("api_client_usage", __name__, description="The client's usage")


@blp.get("/usage")
@token_required(kind="client", permission="usage.read")
@blp.arguments(BillingMonthQuerySchema, location="query")
@blp.response(200, ClientUsageSchema)
def usage(args):
    """A month's usage by provider and metric: quantities and event counts."""
    month = statements.parse_month(args.get("month"))
    return client_usage(dbs(), identity().organisation.id, month)
