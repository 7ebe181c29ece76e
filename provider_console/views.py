"""The provider console: what a procurement provider's buyers see."""

from __future__ import annotations

from flask import Blueprint, render_template

from baton.platform.auth import identity, require
from baton.platform.web import dbs
from baton.tenants import services

bp = Blueprint("provider", __name__, template_folder="templates", url_prefix="/provider")


@bp.get("/")
@require(kind="provider")
def home():
    ident = identity()
    engagements = services.engagements_of(dbs(), ident.organisation)
    return render_template(
        "provider/home.html",
        active=[e for e in engagements if e.status == "active"],
        inactive=[e for e in engagements if e.status != "active"],
    )
