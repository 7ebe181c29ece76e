"""The readiness review: one handoff, its snapshot, readiness and decision.

Opening the page as a buyer moves a submitted requirement into review. The
buyer accepts it (refused while hard failures remain) or returns it with
structured reasons the client sees next to the fields concerned.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from baton.platform import audit
from baton.platform.auth import identity, require
from baton.platform.db import utc_today
from baton.platform.errors import ServiceError, ValidationFailed
from baton.platform.formatting import count
from baton.platform.pages import refused
from baton.platform.web import dbs, refuse
from baton.procurement.handoff import review as handoff_review
from baton.sourcing.documents.downloads import revision_response
from baton.sourcing.requirements import services as requirements
from baton.sourcing.requirements import snapshot, states
from baton.sourcing.requirements.models import RETURN_REASONS
from baton.sourcing.requirements.readiness import Readiness
from baton.tenants.models import Organisation
from baton.tenants.services import user_names

bp = Blueprint("provider_review", __name__, url_prefix="/provider/requirements")

REASON_ROWS = 3


def _provider_id() -> uuid.UUID:
    return identity().organisation.id


def _user_id() -> uuid.UUID | None:
    user = identity().user
    return user.id if user is not None else None


def _suggested(result: Readiness) -> list[dict[str, Any]]:
    rows = handoff_review.suggested_reasons(result)
    while len(rows) < REASON_ROWS:
        rows.append({"code": "", "field": "", "comment": ""})
    return rows


def _page(req, *, reasons=None, comment: str = "", errors: dict | None = None, status=200):
    session = dbs()
    snap = requirements.current_snapshot(session, req)
    supplier = requirements.supplier_of(session, req)
    result = requirements.snapshot_readiness(session, req, snap, for_provider=True)
    reviews = requirements.reviews_of(session, req)
    people = user_names(session, {r.reviewer_id for r in reviews} | {req.assigned_buyer_id})
    fields = snapshot.flatten(snap.payload)
    field_choices = [("", "The requirement as a whole"), ("lines", "The lines")]
    field_choices += [(path, snapshot.field_label(path)) for path in fields]
    client = session.get(Organisation, req.tenant_id)
    actions = handoff_review.available_actions(req, result, identity().can("requirement.review"))
    return render_template(
        "provider/review/review.html",
        req=req,
        snap=snap,
        client=client,
        supplier=supplier,
        readiness=result,
        reviews=reviews,
        people=people,
        buyers=handoff_review.provider_buyers(session, req.provider_id),
        reason_rows=reasons if reasons is not None else _suggested(result),
        comment=comment,
        errors=errors or {},
        reason_labels=RETURN_REASONS,
        field_choices=field_choices,
        field_label=snapshot.field_label,
        labels=states.REQUIREMENT.labels,
        outdated=requirements.outdated_specs(
            session,
            req.tenant_id,
            [
                (line["line_no"], spec["revision_id"])
                for line in snap.payload["lines"]
                for spec in line["specs"]
            ],
        ),
        events=audit.events_for(session, req.tenant_id, "requirement", req.id),
        can_act=identity().can("requirement.review"),
        can_accept="accept" in actions,
        can_return="return" in actions,
        can_claim="claim" in actions,
        can_start="start_review" in actions,
        today=utc_today(),
        spec_url=lambda s: url_for(
            "provider_review.download_spec",
            requirement_id=req.id,
            revision_id=s["revision_id"],
        ),
        me=_user_id(),
    ), status


@bp.get("/<uuid:requirement_id>")
@require(kind="provider")
def review(requirement_id: uuid.UUID):
    # Reading changes nothing: the review starts with "Start review" or a decision.
    return _page(handoff_review.get_for_provider(dbs(), _provider_id(), requirement_id))


@bp.post("/<uuid:requirement_id>/start-review")
@require(kind="provider", permission="requirement.review")
def start_review(requirement_id: uuid.UUID):
    try:
        req = handoff_review.open_review(dbs(), _provider_id(), _user_id(), requirement_id)
    except ServiceError as exc:
        return refused(exc, url_for(".review", requirement_id=requirement_id))
    flash(f"You are reviewing {req.client_reference}.", "success")
    return redirect(url_for(".review", requirement_id=req.id))


@bp.post("/<uuid:requirement_id>/accept")
@require(kind="provider", permission="requirement.review")
def accept(requirement_id: uuid.UUID):
    try:
        req = handoff_review.accept(
            dbs(), _provider_id(), _user_id(), requirement_id, request.form.get("comment")
        )
    except ValidationFailed as exc:
        refuse()
        req = handoff_review.get_for_provider(dbs(), _provider_id(), requirement_id)
        return _page(req, errors=exc.errors, status=422)
    except ServiceError as exc:
        return refused(exc, url_for(".review", requirement_id=requirement_id))
    flash(f"{req.client_reference} accepted; it is ready to order.", "success")
    return redirect(url_for(".review", requirement_id=req.id))


def reasons_from_form(form) -> list[dict[str, Any]]:
    rows = []
    for i in range(20):
        prefix = f"reasons-{i}-"
        if prefix + "code" not in form:
            continue
        rows.append(
            {
                "code": (form.get(prefix + "code") or "").strip(),
                "field": (form.get(prefix + "field") or "").strip(),
                "comment": (form.get(prefix + "comment") or "").strip(),
            }
        )
    return rows


@bp.post("/<uuid:requirement_id>/return")
@require(kind="provider", permission="requirement.review")
def return_(requirement_id: uuid.UUID):
    rows = reasons_from_form(request.form)
    chosen = [r for r in rows if r["code"]]
    comment = (request.form.get("comment") or "").strip()
    try:
        req = handoff_review.return_requirement(
            dbs(), _provider_id(), _user_id(), requirement_id, chosen, comment
        )
    except ValidationFailed as exc:
        refuse()
        req = handoff_review.get_for_provider(dbs(), _provider_id(), requirement_id)
        return _page(req, reasons=rows or None, comment=comment, errors=exc.errors, status=422)
    except ServiceError as exc:
        return refused(exc, url_for(".review", requirement_id=requirement_id))
    flash(
        f"{req.client_reference} returned to the client with {count(len(chosen), 'reason')}.",
        "success",
    )
    return redirect(url_for(".review", requirement_id=req.id))


@bp.get("/<uuid:requirement_id>/snapshots/<uuid:snapshot_id>")
@require(kind="provider")
def snapshot_view(requirement_id: uuid.UUID, snapshot_id: uuid.UUID):
    session = dbs()
    req = handoff_review.get_for_provider(session, _provider_id(), requirement_id)
    context = requirements.compare_snapshot(session, req, snapshot_id, request.args.get("against"))
    return render_template(
        "provider/review/snapshot.html",
        **context,
        req=req,
        field_label=snapshot.field_label,
        labels=states.REQUIREMENT.labels,
        spec_url=lambda s: url_for(
            ".download_spec", requirement_id=req.id, revision_id=s["revision_id"]
        ),
    )


@bp.get("/<uuid:requirement_id>/specs/<uuid:revision_id>")
@require(kind="provider")
def download_spec(requirement_id: uuid.UUID, revision_id: uuid.UUID):
    """A specification the client attached to this handoff, and no other document."""
    revision = handoff_review.spec_for_provider(dbs(), _provider_id(), requirement_id, revision_id)
    return revision_response(revision)
