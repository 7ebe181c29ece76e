"""The client's SLA figures for integrations: months with target standing, and measures."""

from __future__ import annotations

from baton.platform.api import PAGE_SIZE, ApiBlueprint, page_of, token_required
from baton.platform.auth import identity
from baton.platform.db import utcnow
from baton.platform.errors import NotFound
from baton.platform.schedules import zone
from baton.platform.web import dbs
from baton.procurement.sla import dashboard_api, dashboard_terms, drilldown
from baton.procurement.sla.schemas import (
    MeasurePageSchema,
    MeasuresQuerySchema,
    MonthPageSchema,
    MonthsQuerySchema,
)

blp = ApiBlueprint("api_client_sla", __name__, description="The client's SLA figures")


def _today():
    return utcnow().astimezone(zone(identity().organisation.timezone)).date()


def _engagement(engagement_id):
    org = identity().organisation
    engagement = dashboard_terms.choose(
        dashboard_terms.client_engagements(dbs(), org.id), engagement_id
    )
    if engagement is None:
        raise NotFound("No engagement with a provider yet.")
    return engagement


@blp.get("/sla/months")
@token_required(kind="client")
@blp.arguments(MonthsQuerySchema, location="query")
@blp.response(200, MonthPageSchema)
def list_months(args):
    """One engagement's months, newest first: figures, target standing, credit."""
    engagement = _engagement(args.get("engagement_id"))
    today = _today()
    start = (
        dashboard_terms.parse_period(args.get("from_"), today, "from")
        if args.get("from_")
        else None
    )
    end = dashboard_terms.parse_period(args.get("to"), today, "to") if args.get("to") else None
    start, end = dashboard_api.month_range(start, end, today)
    return page_of(dashboard_api.months(dbs(), engagement, start, end), args["page"])


@blp.get("/sla/measures")
@token_required(kind="client")
@blp.arguments(MeasuresQuerySchema, location="query")
@blp.response(200, MeasurePageSchema)
def list_measures(args):
    """The measures behind a figure (the dashboard's drill-down), 50 a page."""
    engagement = _engagement(args.get("engagement_id"))
    query = drilldown.parse_measure_query(args, engagement.id, _today())
    rows, has_next = drilldown.measures(
        dbs(), identity().organisation.id, query, page=args["page"], per_page=PAGE_SIZE
    )
    return {"page": args["page"], "has_next": has_next, "items": rows}
