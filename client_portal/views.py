"""The client portal: what a client organisation's people see."""

from __future__ import annotations

from flask import Blueprint, render_template

from baton.platform.auth import identity, require
from baton.platform.web import dbs
from baton.procurement.orders import issue_queries
from baton.procurement.orders.issue_models import POIssue
from baton.sourcing import overview as dashboard
from baton.tenants import services

bp = Blueprint("client", __name__, template_folder="templates", url_prefix="/client")


@bp.get("/")
@require(kind="client")
def home():
    ident = identity()
    session = dbs()
    waiting, more = issue_queries.list_issues(
        session,
        [*issue_queries.client_scope(ident.organisation.id), POIssue.routed_to == "client"],
        status="with_client",
        per_page=5,
    )
    return render_template(
        "client/home.html",
        waiting_issues=waiting,
        waiting_more=more,
        waiting_orders=issue_queries.orders_by_id(session, waiting),
        home=dashboard.client_home(session, ident.organisation.id),
        engagements=services.engagements_of(session, ident.organisation),
        member_count=len(services.list_members(session, ident.organisation.id)),
        can_write=ident.can("requirement.write"),
        warning_days=dashboard.EXPIRY_WARNING_DAYS,
    )
