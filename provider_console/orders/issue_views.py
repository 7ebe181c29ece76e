"""The buyer's order issues: raise one from the order page, route it to the
client or the supplier, answer in the thread, resolve it; the list of open
issues across clients."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for

from baton.platform.auth import identity, require
from baton.platform.errors import NotFound, ServiceError, ValidationFailed
from baton.platform.pages import refused
from baton.platform.web import dbs, refuse
from baton.procurement.orders import issue_queries, issues, overview
from baton.procurement.orders.issue_models import CAUSE_LABELS
from baton.procurement.orders.issue_states import ORDER_ISSUE
from baton.procurement.orders.queries import get_for_provider
from baton.provider_console.orders import issue_forms
from baton.provider_console.orders.views import _page as order_page
from baton.sourcing.documents.downloads import revision_response
from baton.sourcing.documents.services import get_revision
from baton.tenants.services import user_names

bp = Blueprint("provider_issues", __name__, url_prefix="/provider")


def _provider_id() -> uuid.UUID:
    return identity().organisation.id


def _user_id() -> uuid.UUID | None:
    user = identity().user
    return user.id if user is not None else None


@bp.app_template_global()
def issue_form_key() -> str:
    """A fresh one-time key for an issue form (a second submit of it changes nothing)."""
    return issue_forms.new_key()


@bp.get("/issues")
@require(kind="provider")
def index():
    session = dbs()
    where = issue_queries.provider_scope(session, _provider_id())
    listed = issue_queries.list_from_args(session, where, request.args)
    return render_template(
        "provider/issues/index.html",
        **listed,
        counts=issue_queries.waiting_counts(session, where),
        clients=overview.organisation_names(session, {i.tenant_id for i in listed["issues"]}),
        machine=ORDER_ISSUE,
        cause_labels=CAUSE_LABELS,
    )


@bp.post("/orders/<uuid:po_id>/issues")
@require(kind="provider", permission="order_issue.work")
def raise_issue(po_id: uuid.UUID):
    try:
        issue = issues.raise_issue(
            dbs(), _provider_id(), _user_id(), po_id, issue_forms.fields(), issue_forms.upload()
        )
    except ValidationFailed as exc:
        refuse()
        po = get_for_provider(dbs(), _provider_id(), po_id)
        return order_page(po, errors=exc.errors, status=422)
    except ServiceError as exc:
        return refused(exc, url_for("provider_orders.detail", po_id=po_id))
    flash(
        f"Issue {issue.number} raised; route it to the client or the supplier when you need an answer.",
        "success",
    )
    return redirect(url_for(".detail", issue_id=issue.id))


def _page(issue_id: uuid.UUID, *, errors: dict | None = None, status: int = 200):
    session = dbs()
    issue = issue_queries.get_for_provider(session, _provider_id(), issue_id)
    po = get_for_provider(session, _provider_id(), issue.po_id)
    thread = issue_queries.threads(session, [issue])
    messages = thread.of(issue)
    may = identity().can("order_issue.work")
    return render_template(
        "provider/issues/detail.html",
        issue=issue,
        po=po,
        client=overview.organisation_names(session, {po.tenant_id}).get(po.tenant_id, ""),
        messages=messages,
        attachments=thread.attachments,
        people=user_names(session, {m.author_id for m in messages} | {issue.resolved_by_id}),
        machine=ORDER_ISSUE,
        cause_labels=CAUSE_LABELS,
        can_work=may,
        can_reply=identity().can("order_issue.reply"),
        actions=set(ORDER_ISSUE.actions(issue.status, "provider")) if may else set(),
        supplier_reachable=po.link_nonce is not None and po.status != "cancelled",
        errors=errors or {},
        form=request.form if request.method == "POST" else {},
        form_key=issue_forms.new_key(),
    ), status


@bp.get("/issues/<uuid:issue_id>")
@require(kind="provider")
def detail(issue_id: uuid.UUID):
    return _page(issue_id)


def _act(issue_id: uuid.UUID, action, done: str):
    try:
        action()
    except ValidationFailed as exc:
        refuse()
        return _page(issue_id, errors=exc.errors, status=422)
    except ServiceError as exc:
        return refused(exc, url_for(".detail", issue_id=issue_id))
    flash(done, "success")
    return redirect(url_for(".detail", issue_id=issue_id))


@bp.post("/issues/<uuid:issue_id>/route")
@require(kind="provider", permission="order_issue.work")
def route(issue_id: uuid.UUID):
    to = request.form.get("to", "")
    return _act(
        issue_id,
        lambda: issues.route(
            dbs(), _provider_id(), _user_id(), issue_id, issue_forms.fields(), issue_forms.upload()
        ),
        "The supplier is emailed its link to answer."
        if to == "supplier"
        else "The client's people are asked to answer.",
    )


@bp.post("/issues/<uuid:issue_id>/reply")
@require(kind="provider", permission="order_issue.reply")
def reply(issue_id: uuid.UUID):
    return _act(
        issue_id,
        lambda: issues.reply_as_provider(
            dbs(), _provider_id(), _user_id(), issue_id, issue_forms.fields(), issue_forms.upload()
        ),
        "Reply added to the thread.",
    )


@bp.post("/issues/<uuid:issue_id>/resolve")
@require(kind="provider", permission="order_issue.work")
def resolve(issue_id: uuid.UUID):
    return _act(
        issue_id,
        lambda: issues.resolve(
            dbs(), _provider_id(), _user_id(), issue_id, request.form.get("note")
        ),
        "Issue resolved.",
    )


@bp.post("/issues/<uuid:issue_id>/reopen")
@require(kind="provider", permission="order_issue.work")
def reopen(issue_id: uuid.UUID):
    return _act(
        issue_id,
        lambda: issues.reopen(dbs(), _provider_id(), issue_id, request.form.get("reason")),
        "Issue reopened.",
    )


@bp.get("/issues/<uuid:issue_id>/messages/<uuid:issue_message_id>/attachment")
@require(kind="provider")
def attachment(issue_id: uuid.UUID, issue_message_id: uuid.UUID):
    session = dbs()
    issue = issue_queries.get_for_provider(session, _provider_id(), issue_id)
    message = issue_queries.message_of(session, issue, issue_message_id)
    if message.document_revision_id is None:
        raise NotFound("This message has no attachment.")
    return revision_response(get_revision(session, issue.tenant_id, message.document_revision_id))
