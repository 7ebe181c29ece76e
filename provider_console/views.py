"""The provider console: what a procurement provider's buyers see."""

from __future__ import annotations

from flask import Blueprint, render_template

from baton.platform.auth import identity, require
from baton.platform.web import dbs
from baton.procurement.handoff import overview as dashboard
from baton.procurement.orders import issue_queries
from baton.sourcing.requirements import states
from baton.tenants import services

bp = Blueprint("provider", __name__, template_folder="templates", url_prefix="/provider")


@bp.get("/")
@require(kind="provider")
def home():
    ident = identity()
    session = dbs()
    can_claim = ident.can("requirement.review")
    engagements = services.engagements_of(session, ident.organisation)
    return render_template(
        "provider/home.html",
        home=dashboard.provider_home(
            session,
            ident.organisation,
            ident.user.id if ident.user else None,
            can_claim=can_claim,
        ),
        can_claim=can_claim,
        labels=states.REQUIREMENT.labels,
        inactive=[e for e in engagements if e.status != "active"],
        issue_counts=issue_queries.waiting_counts(
            session, issue_queries.provider_scope(session, ident.organisation.id)
        ),
    )
