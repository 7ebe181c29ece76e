"""The supplier's side of order issues, through its signed link: answer an
issue routed to it (with a file if it likes) and download what was shared.

As on the order page, every request starts from the token; an issue of
another order, or one not routed to the supplier, is not found. The link is
the actor in the audit trail.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, request, url_for

from baton.platform.errors import NotFound, ServiceError, ValidationFailed
from baton.platform.request_context import acting_as
from baton.platform.web import dbs, refuse
from baton.procurement.orders import issue_queries, issues, links
from baton.provider_console.orders import issue_forms
from baton.provider_console.supplier.views import _page as order_page
from baton.provider_console.supplier.views import through_link
from baton.sourcing.documents.downloads import revision_response
from baton.sourcing.documents.services import get_revision

bp = Blueprint("supplier_issues", __name__, url_prefix="/supplier/orders")


@bp.route("/<token>/issues", methods=["GET", "POST"])
@through_link(lock=None)
def reply(opened: links.OpenedLink, token: str):
    """GET: the order page (the answer forms are on it); POST: the supplier's answer."""
    if request.method == "GET":
        return order_page(opened, token)
    try:
        with acting_as(opened.actor):
            issues.reply_as_supplier(
                dbs(),
                opened.po,
                request.form.get("issue_id"),
                issue_forms.fields(),
                issue_forms.upload(),
            )
    except ValidationFailed as exc:
        refuse()
        return order_page(links.open_link(dbs(), token), token, errors=exc.errors, status=422)
    except NotFound:
        raise
    except ServiceError as exc:
        refuse()
        flash(str(exc), "warning")
        return redirect(url_for("supplier_orders.order", token=token) + "#issues")
    flash("Thank you: your answer is with the buyer.", "success")
    return redirect(url_for("supplier_orders.order", token=token) + "#issues")


@bp.get("/<token>/issue-attachment")
@through_link()
def attachment(opened: links.OpenedLink, token: str):
    if not request.args.get("issue_message_id"):
        # Nothing named: the order page, where the attachments are listed.
        return order_page(opened, token)
    try:
        message_id = uuid.UUID(request.args.get("issue_message_id", ""))
    except ValueError:
        raise NotFound("No such attachment.") from None
    session = dbs()
    wanted, _thread = issue_queries.for_supplier(session, opened.po)
    for issue in wanted:
        try:
            message = issue_queries.message_of(session, issue, message_id, supplier=True)
        except NotFound:
            continue
        if message.document_revision_id:
            return revision_response(
                get_revision(session, issue.tenant_id, message.document_revision_id)
            )
    raise NotFound("No such attachment.")
