"""The client portal: what a client organisation's people see."""

from __future__ import annotations

from flask import Blueprint, render_template

from baton.platform.auth import identity, require
from baton.platform.web import dbs
from baton.tenants import services

bp = Blueprint("client", __name__, template_folder="templates", url_prefix="/client")


@bp.get("/")
@require(kind="client")
def home():
    ident = identity()
    return render_template(
        "client/home.html",
        engagements=services.engagements_of(dbs(), ident.organisation),
        member_count=len(services.list_members(dbs(), ident.organisation.id)),
    )
