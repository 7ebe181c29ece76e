"""The client's side of order issues: what the buyer asked the client, the
issues of its orders, and its answers in the thread (which hand the issue back
to the buyer)."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for

from baton.client_portal.orders import issue_forms
from baton.platform.auth import identity, require
from baton.platform.errors import NotFound, ServiceError, ValidationFailed
from baton.platform.pages import refused
from baton.platform.web import dbs, refuse
from baton.procurement.orders import issue_queries, issues, overview
from baton.procurement.orders.issue_models import CAUSE_LABELS, POIssue
from baton.procurement.orders.issue_states import ORDER_ISSUE
from baton.procurement.orders.queries import get_for_client
from baton.sourcing.documents.downloads import revision_response
from baton.sourcing.documents.services import get_revision
from baton.tenants.services import user_names

bp = Blueprint("client_issues", __name__, url_prefix="/client")


def _tenant_id() -> uuid.UUID:
    return identity().organisation.id


@bp.get("/issues")
@require(kind="client")
def index():
    """What the buyers asked this client (by default the ones waiting on it)."""
    session = dbs()
    where = [*issue_queries.client_scope(_tenant_id()), POIssue.routed_to == "client"]
    args = request.args if "status" in request.args else {"status": "with_client", **request.args}
    listed = issue_queries.list_from_args(session, where, args)
    return render_template(
        "client/issues/index.html",
        **listed,
        providers=overview.organisation_names(session, {i.provider_id for i in listed["issues"]}),
        machine=ORDER_ISSUE,
        cause_labels=CAUSE_LABELS,
    )


def _page(issue_id: uuid.UUID, *, errors: dict | None = None, status: int = 200):
    session = dbs()
    issue = issue_queries.get_for_client(session, _tenant_id(), issue_id)
    po = get_for_client(session, _tenant_id(), issue.po_id)
    thread = issue_queries.threads(session, [issue])
    messages = thread.of(issue)
    return render_template(
        "client/issues/detail.html",
        issue=issue,
        po=po,
        provider=overview.organisation_names(session, {po.provider_id}).get(po.provider_id, ""),
        messages=messages,
        attachments=thread.attachments,
        people=user_names(session, {m.author_id for m in messages} | {issue.resolved_by_id}),
        machine=ORDER_ISSUE,
        cause_labels=CAUSE_LABELS,
        can_reply=identity().can("order_issue.reply")
        and issue.routed_to == "client"
        and ORDER_ISSUE.in_group("unresolved", issue.status),
        errors=errors or {},
        form=request.form if request.method == "POST" else {},
        form_key=issue_forms.new_key(),
    ), status


@bp.get("/issues/<uuid:issue_id>")
@require(kind="client")
def detail(issue_id: uuid.UUID):
    return _page(issue_id)


@bp.post("/issues/<uuid:issue_id>/reply")
@require(kind="client", permission="order_issue.reply")
def reply(issue_id: uuid.UUID):
    try:
        issues.reply_as_client(
            dbs(),
            _tenant_id(),
            identity().user.id,
            issue_id,
            issue_forms.fields(),
            issue_forms.upload(),
        )
    except ValidationFailed as exc:
        refuse()
        return _page(issue_id, errors=exc.errors, status=422)
    except ServiceError as exc:
        return refused(exc, url_for(".detail", issue_id=issue_id))
    flash("Your answer is with the buyer.", "success")
    return redirect(url_for(".detail", issue_id=issue_id))


@bp.get("/issues/<uuid:issue_id>/messages/<uuid:issue_message_id>/attachment")
@require(kind="client")
def attachment(issue_id: uuid.UUID, issue_message_id: uuid.UUID):
    session = dbs()
    issue = issue_queries.get_for_client(session, _tenant_id(), issue_id)
    message = issue_queries.message_of(session, issue, issue_message_id)
    if message.document_revision_id is None:
        raise NotFound("This message has no attachment.")
    return revision_response(get_revision(session, issue.tenant_id, message.document_revision_id))
