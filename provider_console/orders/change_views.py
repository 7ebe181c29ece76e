"""The buyer's change orders: start one (or counter the supplier, or bind a
revised specification), edit it, submit, withdraw, release; read each
released revision and download its PDF."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for

from baton.platform.auth import identity, require
from baton.platform.errors import ServiceError, ValidationFailed
from baton.platform.pages import refused
from baton.platform.web import dbs, refuse
from baton.procurement.orders import (
    change_approvals,
    change_orders,
    change_overview,
    change_release,
    overview,
    queries,
    revisions,
    spec_changes,
)
from baton.procurement.orders.change_states import CHANGE_ORDER
from baton.provider_console.orders import forms
from baton.sourcing.documents.downloads import revision_response

bp = Blueprint("provider_changes", __name__, url_prefix="/provider/orders")

MAX_SPECS = 6


def _provider_id() -> uuid.UUID:
    return identity().organisation.id


def _user_id() -> uuid.UUID | None:
    user = identity().user
    return user.id if user is not None else None


def change_edits(form) -> dict:
    """The change-order form's fields as the service's edits."""
    data: dict = {
        k: form.get(k, "")
        for k in ("ship_to", "payment_terms", "incoterms", "notes", "reason", "cause")
        if k in form
    }
    lines = forms.line_edits(form)
    for row in lines:
        row.pop("unit", None)
        # The form shows every line with its box: unticked keeps (or restores) it.
        row["remove"] = bool(row.get("remove"))
        prefix = f"lines-{row['line_no']}-"
        if prefix + "specs" in form:
            row["specs"] = [v for v in form.getlist(prefix + "specs") if v.strip()][:MAX_SPECS]
    data["lines"] = lines
    data["add"] = [k for k in form.getlist("add") if k.strip()]
    return data


def _page(po, change, *, errors: dict | None = None, status: int = 200):
    session = dbs()
    may = identity().can("po.write")
    return render_template(
        "provider/orders/change.html",
        **overview.detail(session, po),
        **change_overview.change_page(session, po, change),
        errors=errors or {},
        can_write=may,
        actions=set(CHANGE_ORDER.actions(change.status, "provider")) if may else set(),
        form=request.form if request.method == "POST" else {},
    ), status


def _order(po_id: uuid.UUID):
    return queries.get_for_provider(dbs(), _provider_id(), po_id)


@bp.get("/<uuid:po_id>/changes/<uuid:change_id>")
@require(kind="provider")
def detail(po_id: uuid.UUID, change_id: uuid.UUID):
    po = _order(po_id)
    return _page(po, change_orders.get_change(dbs(), po, change_id))


def _started(po_id: uuid.UUID, action, done: str):
    try:
        change = action()
    except ServiceError as exc:
        return refused(exc, url_for("provider_orders.detail", po_id=po_id))
    flash(done.format(change=change), "success")
    return redirect(url_for(".detail", po_id=po_id, change_id=change.id))


@bp.post("/<uuid:po_id>/changes")
@require(kind="provider", permission="po.write")
def start(po_id: uuid.UUID):
    return _started(
        po_id,
        lambda: change_orders.start(
            dbs(),
            _provider_id(),
            _user_id(),
            po_id,
            cause=request.form.get("cause"),
            reason=request.form.get("reason"),
            counter=bool(request.form.get("counter")),
        ),
        "Change order {change.number} started; edit it and submit it.",
    )


@bp.post("/<uuid:po_id>/changes/bind-latest")
@require(kind="provider", permission="po.write")
def bind_latest(po_id: uuid.UUID):
    return _started(
        po_id,
        lambda: spec_changes.bind_latest(dbs(), _provider_id(), _user_id(), po_id),
        "Change order {change.number} binds the new specification revision; check and submit it.",
    )


def _act(po_id: uuid.UUID, change_id: uuid.UUID, action, done: str):
    try:
        change = action()
    except ValidationFailed as exc:
        refuse()
        po = _order(po_id)
        return _page(
            po, change_orders.get_change(dbs(), po, change_id), errors=exc.errors, status=422
        )
    except ServiceError as exc:
        return refused(exc, url_for(".detail", po_id=po_id, change_id=change_id))
    flash(done.format(change=change), "success")
    return redirect(url_for(".detail", po_id=po_id, change_id=change_id))


@bp.post("/<uuid:po_id>/changes/<uuid:change_id>/edit")
@require(kind="provider", permission="po.write")
def edit(po_id: uuid.UUID, change_id: uuid.UUID):
    return _act(
        po_id,
        change_id,
        lambda: change_orders.update(
            dbs(),
            _provider_id(),
            po_id,
            change_id,
            change_edits(request.form),
            expected_version=forms.version_from(request.form),
        ),
        "Change order {change.number} saved.",
    )


@bp.post("/<uuid:po_id>/changes/<uuid:change_id>/submit")
@require(kind="provider", permission="po.write")
def submit(po_id: uuid.UUID, change_id: uuid.UUID):
    def go():
        change = change_approvals.submit(dbs(), _provider_id(), _user_id(), po_id, change_id)
        if change.status == "approved":
            flash("Within the client's policy: approved at once.", "info")
        return change

    return _act(po_id, change_id, go, "Change order {change.number} submitted.")


@bp.post("/<uuid:po_id>/changes/<uuid:change_id>/withdraw")
@require(kind="provider", permission="po.write")
def withdraw(po_id: uuid.UUID, change_id: uuid.UUID):
    return _act(
        po_id,
        change_id,
        lambda: change_orders.withdraw(dbs(), _provider_id(), po_id, change_id),
        "Change order {change.number} withdrawn; the order stays as it was.",
    )


@bp.post("/<uuid:po_id>/changes/<uuid:change_id>/release")
@require(kind="provider", permission="po.write")
def release(po_id: uuid.UUID, change_id: uuid.UUID):
    return _act(
        po_id,
        change_id,
        lambda: change_release.release(dbs(), _provider_id(), po_id, change_id),
        "Change order {change.number} released: the supplier is emailed the new revision and its link.",
    )


@bp.get("/<uuid:po_id>/revisions/<int:revision>")
@require(kind="provider")
def revision(po_id: uuid.UUID, revision: int):
    po = _order(po_id)
    return render_template(
        "procurement/revision.html",
        po=po,
        row=revisions.revision_of(dbs(), po, revision),
        pdf_url=url_for(".revision_pdf", po_id=po.id, revision=revision),
        back_url=url_for("provider_orders.detail", po_id=po.id),
    )


@bp.get("/<uuid:po_id>/revisions/<int:revision>/pdf")
@require(kind="provider")
def revision_pdf(po_id: uuid.UUID, revision: int):
    po = _order(po_id)
    row = revisions.revision_of(dbs(), po, revision)
    return revision_response(revisions.pdf_of(dbs(), po, row))
