"""The buyer's purchase orders: ready to order, drafts, approvals, release, receipts."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for

from baton.platform.auth import identity, require
from baton.platform.errors import ServiceError, ValidationFailed
from baton.platform.pages import refused
from baton.platform.web import dbs, refuse
from baton.procurement.orders import (
    acknowledgements,
    approvals,
    attachments,
    change_overview,
    drafting,
    links,
    open_orders,
    overview,
    queries,
    receipts,
    receiving,
    release,
    spec_changes,
)
from baton.procurement.orders.states import PURCHASE_ORDER
from baton.provider_console.orders import forms
from baton.provider_console.orders.downloads import pdf_response

bp = Blueprint("provider_orders", __name__, url_prefix="/provider/orders")


def _provider_id() -> uuid.UUID:
    return identity().organisation.id


def _user_id() -> uuid.UUID | None:
    user = identity().user
    return user.id if user is not None else None


@bp.get("")
@require(kind="provider")
def index():
    session = dbs()
    scope = queries.provider_scope(session, _provider_id())
    listed = open_orders.listing(session, scope, request.args)
    # Engineering changes first: lines bound to a revised specification.
    flagged = spec_changes.flagged_orders(session, scope)
    return render_template(
        "provider/orders/index.html",
        **listed,
        clients=overview.organisation_names(
            session, {po.tenant_id for po in listed["orders"] + flagged}
        ),
        flagged=flagged,
    )


@bp.get("/ready")
@require(kind="provider")
def ready():
    return render_template(
        "provider/orders/ready.html",
        proposals=drafting.proposals(dbs(), _provider_id()),
        can_write=identity().can("po.write"),
    )


@bp.post("")
@require(kind="provider", permission="po.write")
def create():
    try:
        po = drafting.create_draft(dbs(), _provider_id(), _user_id(), request.form.getlist("line"))
    except ServiceError as exc:
        return refused(exc, url_for(".ready"))
    flash(f"Draft {po.number} created; check it and submit it for approval.", "success")
    return redirect(url_for(".detail", po_id=po.id))


def _page(po, *, errors: dict | None = None, status: int = 200):
    context = overview.detail(dbs(), po)
    may = identity().can("po.write")
    return render_template(
        "provider/orders/detail.html",
        **context,
        **change_overview.detail(dbs(), po),
        errors=errors or {},
        can_write=may,
        actions=set(PURCHASE_ORDER.actions(po.status, "provider")) if may else set(),
        ack_possible=may
        and PURCHASE_ORDER.allowed("acknowledge", po.status)
        and context["ack"] is None,
        supplier_link=url_for("supplier_orders.order", token=links.token_for(po), _external=True)
        if po.link_nonce and PURCHASE_ORDER.in_group("supplier_visible", po.status)
        else None,
        form=request.form if request.method == "POST" else {},
    ), status


@bp.get("/<uuid:po_id>")
@require(kind="provider")
def detail(po_id: uuid.UUID):
    return _page(queries.get_for_provider(dbs(), _provider_id(), po_id))


def _act(po_id: uuid.UUID, action, done: str):
    """Run ``action``; a refused form re-renders the page with its errors."""
    try:
        result = action()
    except ValidationFailed as exc:
        refuse()
        po = queries.get_for_provider(dbs(), _provider_id(), po_id)
        return _page(po, errors=exc.errors, status=422)
    except ServiceError as exc:
        return refused(exc, url_for(".detail", po_id=po_id))
    flash(done.format(po=result) if hasattr(result, "number") else done, "success")
    return redirect(url_for(".detail", po_id=po_id))


@bp.post("/<uuid:po_id>/edit")
@require(kind="provider", permission="po.write")
def edit(po_id: uuid.UUID):
    data = {k: request.form.get(k, "") for k in drafting.HEADER_FIELDS if k in request.form}
    data["lines"] = forms.line_edits(request.form)
    return _act(
        po_id,
        lambda: drafting.update_draft(
            dbs(), _provider_id(), po_id, data, expected_version=forms.version_from(request.form)
        ),
        "{po.number} saved.",
    )


@bp.post("/<uuid:po_id>/submit")
@require(kind="provider", permission="po.write")
def submit(po_id: uuid.UUID):
    def go():
        po = approvals.submit(
            dbs(), _provider_id(), _user_id(), po_id, reason=request.form.get("reason")
        )
        return po

    return _act(po_id, go, "{po.number} submitted.")


@bp.post("/<uuid:po_id>/recall")
@require(kind="provider", permission="po.write")
def recall(po_id: uuid.UUID):
    return _act(
        po_id,
        lambda: approvals.recall(dbs(), _provider_id(), po_id),
        "{po.number} is a draft again.",
    )


@bp.post("/<uuid:po_id>/release")
@require(kind="provider", permission="po.write")
def release_order(po_id: uuid.UUID):
    return _act(
        po_id,
        lambda: release.release(dbs(), _provider_id(), po_id),
        "{po.number} released; the supplier is emailed the order and its link.",
    )


@bp.post("/<uuid:po_id>/cancel")
@require(kind="provider", permission="po.write")
def cancel(po_id: uuid.UUID):
    return _act(
        po_id,
        lambda: release.cancel(dbs(), _provider_id(), po_id, request.form.get("reason")),
        "{po.number} cancelled.",
    )


@bp.post("/<uuid:po_id>/acknowledgement")
@require(kind="provider", permission="po.write")
def record_acknowledgement(po_id: uuid.UUID):
    return _act(
        po_id,
        lambda: attachments.record_acknowledgement(
            dbs(),
            _provider_id(),
            _user_id(),
            po_id,
            forms.ack_lines(request.form),
            source=request.form.get("source", ""),
            note=request.form.get("note"),
            attachment=attachments.upload_from(request.files.get("attachment")),
        ),
        "Acknowledgement recorded.",
    )


@bp.post("/<uuid:po_id>/accept-changes")
@require(kind="provider", permission="po.write")
def accept_changes(po_id: uuid.UUID):
    return _act(
        po_id,
        lambda: acknowledgements.accept_changes(dbs(), _provider_id(), po_id),
        "The supplier's promised dates are on the lines.",
    )


@bp.post("/<uuid:po_id>/receive")
@require(kind="provider", permission="po.write")
def receive(po_id: uuid.UUID):
    return _act(
        po_id,
        lambda: receiving.receive(
            dbs(),
            _provider_id(),
            _user_id(),
            po_id,
            forms.receipt_lines(request.form),
            reference=request.form.get("reference"),
            received_on=request.form.get("received_on"),
            shipment_id=request.form.get("shipment_id") or None,
            packing_slip=attachments.upload_from(request.files.get("packing_slip")),
        ),
        "Receipt recorded.",
    )


@bp.post("/<uuid:po_id>/close")
@require(kind="provider", permission="po.write")
def close(po_id: uuid.UUID):
    return _act(po_id, lambda: receipts.close(dbs(), _provider_id(), po_id), "{po.number} closed.")


@bp.post("/<uuid:po_id>/revoke-link")
@require(kind="provider", permission="po.write")
def revoke_link(po_id: uuid.UUID):
    def go():
        po = queries.get_for_provider(dbs(), _provider_id(), po_id, lock=True)
        links.revoke(dbs(), po)
        return po

    return _act(po_id, go, "The supplier's link to {po.number} no longer works.")


@bp.get("/<uuid:po_id>/pdf")
@require(kind="provider")
def pdf(po_id: uuid.UUID):
    return pdf_response(dbs(), queries.get_for_provider(dbs(), _provider_id(), po_id))
