"""The provider's statement for integrations (its accounting)."""

from __future__ import annotations

from baton.platform.api import ApiBlueprint, token_required
from baton.platform.auth import identity
from baton.platform.web import dbs
from baton.tenants.billing import statements
from baton.tenants.billing.schemas import BillingMonthQuerySchema, BillingStatementSchema

blp = ApiBlueprint("api_provider_billing", __name__, description="The provider's billing")


@blp.get("/billing/statement")
@token_required(kind="provider", permission="billing.manage")
@blp.arguments(BillingMonthQuerySchema, location="query")
@blp.response(200, BillingStatementSchema)
def statement(args):
    """A month's statement: plan periods, lines, tiers, per client, SLA credits, total."""
    month = statements.parse_month(args.get("month"))
    return statements.provider_statement(dbs(), identity().organisation.id, month)
