"""The buyer's follow-up view: what the suppliers owe, how late, and "Chase"."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for

from baton.platform.auth import identity, require
from baton.platform.errors import ServiceError
from baton.platform.pages import refused
from baton.platform.web import dbs
from baton.procurement.orders import chasers, follow_up

bp = Blueprint("provider_follow_up", __name__, url_prefix="/provider/follow-up")

# Where a chase sends the buyer back to: a fixed choice, never a URL from the form.
BACK = {"order": "provider_orders.detail", "follow-up": "provider_follow_up.index"}


def _client_filter(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw or "").strip()) if raw else None
    except ValueError:
        return None  # an unreadable filter shows everything, as an unknown status does


@bp.get("")
@require(kind="provider")
def index():
    session = dbs()
    provider_id = identity().organisation.id
    client_id = _client_filter(request.args.get("client"))
    engagements = follow_up.engagements_by_client(session, provider_id)
    return render_template(
        "provider/followup/index.html",
        items=follow_up.late_items(session, provider_id, client_id=client_id),
        clients=sorted(
            ((e.client_id, e.client.name) for e in engagements.values()), key=lambda c: c[1]
        ),
        client_id=client_id if client_id in engagements else None,
        can_chase=identity().can("po.write"),
    )


@bp.post("/<uuid:po_id>/chase")
@require(kind="provider", permission="po.write")
def chase(po_id: uuid.UUID):
    back_key = request.form.get("back") if request.form.get("back") in BACK else "follow-up"
    back = url_for(BACK[back_key], po_id=po_id) if back_key == "order" else url_for(BACK[back_key])
    try:
        po = chasers.chase(dbs(), identity().organisation.id, po_id)
    except ServiceError as exc:
        return refused(exc, back)
    flash(
        f"{po.number}: chaser {po.chase_count} is on its way to the supplier with the order's link.",
        "success",
    )
    return redirect(back)
