"""The supplier's pages: one order, reached through its signed link, no account.

Every request starts from the token: ``links.open_link`` verifies it and sets
the session to act for that order's provider and client only, so nothing
else is reachable whatever the URL says. Actions are audited with the link as
the actor.
"""

from __future__ import annotations

import functools
import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for

from baton.platform.errors import NotFound, ServiceError, ValidationFailed
from baton.platform.request_context import acting_as
from baton.platform.web import dbs, refuse
from baton.procurement.orders import (
    acknowledgements,
    attachments,
    issue_queries,
    links,
    overview,
    shipments,
)
from baton.procurement.orders.states import PURCHASE_ORDER
from baton.provider_console.orders import forms
from baton.provider_console.orders.downloads import pdf_response
from baton.sourcing.documents.downloads import revision_response
from baton.sourcing.documents.services import get_revision

bp = Blueprint("supplier_orders", __name__, url_prefix="/supplier/orders")


def _refused_page(exc: links.LinkRefused):
    # 404 whatever the reason: a forged link learns nothing about what exists.
    return render_template("supplier/refused.html", title=exc.title, message=exc.message), 404


def through_link(lock: bool | None = False):
    """Open the link before the view and hand it the order, or show why it opens
    nothing. ``lock``: take the order's row lock (None: only for a POST)."""

    def wrap(view):
        @functools.wraps(view)
        def inner(token: str, **kwargs):
            locking = request.method == "POST" if lock is None else lock
            try:
                opened = links.open_link(dbs(), token, lock=locking)
            except links.LinkRefused as exc:
                return _refused_page(exc)
            return view(opened, token, **kwargs)

        return inner

    return wrap


def _page(opened: links.OpenedLink, token: str, *, errors=None, status=200):
    context = overview.detail(dbs(), opened.po)
    supplier_issues, supplier_thread = issue_queries.for_supplier(dbs(), opened.po)
    return render_template(
        "supplier/order.html",
        **context,
        token=token,
        errors=errors or {},
        can_acknowledge=PURCHASE_ORDER.allowed("acknowledge", opened.po.status)
        and context["ack"] is None,
        # The supplier answers the order first; then it announces what it ships.
        can_send_shipment=context["can_ship"] and context["ack"] is not None,
        form=request.form if request.method == "POST" else {},
        supplier_issues=supplier_issues,
        supplier_thread=supplier_thread,
    ), status


@bp.get("/<token>")
@through_link()
def order(opened: links.OpenedLink, token: str):
    return _page(opened, token)


@bp.post("/<token>")
@through_link(lock=True)
def acknowledge(opened: links.OpenedLink, token: str):
    try:
        with acting_as(opened.actor):
            acknowledgements.acknowledge(
                dbs(),
                opened.po,
                forms.ack_lines(request.form),
                source="supplier_link",
                note=request.form.get("note"),
            )
    except ValidationFailed as exc:
        refuse()
        return _page(links.open_link(dbs(), token), token, errors=exc.errors, status=422)
    except ServiceError as exc:
        refuse()
        flash(str(exc), "warning")
        return redirect(url_for(".order", token=token))
    flash("Thank you: your acknowledgement is with the buyer.", "success")
    return redirect(url_for(".order", token=token))


@bp.get("/<token>/pdf")
@through_link()
def pdf(opened: links.OpenedLink, token: str):
    return pdf_response(dbs(), opened.po)


@bp.get("/<token>/shipments")
@through_link()
def shipments_page(opened: links.OpenedLink, token: str):
    return _page(opened, token)


@bp.post("/<token>/shipments")
@through_link(lock=True)
def send_shipment(opened: links.OpenedLink, token: str):
    try:
        with acting_as(opened.actor):
            _shipment, created = shipments.send_notice(
                dbs(),
                opened.po,
                forms.shipment_data(request.form),
                source="supplier_link",
                idempotency_key=request.form.get("idempotency_key") or None,
                packing_slip=attachments.upload_from(request.files.get("packing_slip")),
            )
    except ValidationFailed as exc:
        refuse()
        return _page(links.open_link(dbs(), token), token, errors=exc.errors, status=422)
    except ServiceError as exc:
        refuse()
        flash(str(exc), "warning")
        return redirect(url_for(".order", token=token))
    if created:
        flash("Thank you: your shipment notice is with the buyer.", "success")
    else:
        flash("We have this shipment notice already; nothing was changed.", "info")
    return redirect(url_for(".order", token=token) + "#shipments")


@bp.get("/<token>/packing-slip")
@through_link()
def attachment(opened: links.OpenedLink, token: str):
    """A packing slip the supplier sent with one of this order's shipment
    notices; the buyer's receipts and kept emails stay the buyer's."""
    if not request.args.get("revision_id"):
        # Nothing named: the order page, where the shipments are listed.
        return _page(opened, token)
    try:
        revision_id = uuid.UUID(request.args.get("revision_id", ""))
    except ValueError:
        raise NotFound("No such packing slip on this order.") from None
    return revision_response(
        attachments.attachment_of(dbs(), opened.po, revision_id, supplier=True)
    )


@bp.get("/<token>/specification")
@through_link()
def specification(opened: links.OpenedLink, token: str):
    """A specification revision the order's lines are bought to, and no other."""
    wanted = request.args.get("revision_id", "")
    if not wanted:
        # Nothing named: the order page, where the specifications are listed.
        return _page(opened, token)
    referenced = {str(s.get("revision_id")) for line in opened.po.lines for s in line.specs or []}
    try:
        revision_id = uuid.UUID(wanted)
    except ValueError:
        raise NotFound("No such specification on this order.") from None
    if str(revision_id) not in referenced:
        raise NotFound("No such specification on this order.")
    return revision_response(get_revision(dbs(), opened.po.tenant_id, revision_id))
