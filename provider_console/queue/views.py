"""The buyers' queue: every handoff of every engaged client, on one page."""

from __future__ import annotations

import uuid
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for

from baton.platform import exports
from baton.platform.auth import identity, require
from baton.platform.db import utcnow
from baton.platform.errors import ServiceError, ValidationFailed
from baton.platform.inputs import page_from
from baton.platform.pages import refused
from baton.platform.web import dbs
from baton.procurement.handoff import queue as services
from baton.procurement.handoff import review as handoff_review
from baton.procurement.sla import at_risk
from baton.sourcing.requirements import states
from baton.sourcing.requirements.models import PRIORITIES

bp = Blueprint("provider_queue", __name__, url_prefix="/provider/queue")


def _filters_from(args) -> tuple[services.QueueFilters, dict[str, str]]:
    """Query-string filters; a malformed one is dropped and reported, not fatal."""
    problems: dict[str, str] = {}

    def uuid_arg(name: str) -> uuid.UUID | None:
        value = (args.get(name) or "").strip()
        if not value:
            return None
        try:
            return uuid.UUID(value)
        except ValueError:
            problems[name] = "Not a valid choice."
            return None

    def date_arg(name: str) -> date | None:
        value = (args.get(name) or "").strip()
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            problems[name] = "Enter a date as YYYY-MM-DD."
            return None

    page = page_from(args.get("page"))
    filters = services.QueueFilters(
        client_id=uuid_arg("client_id"),
        status=(args.get("status") or None),
        buyer=(args.get("buyer") or None),
        priority=(args.get("priority") or None),
        need_by_from=date_arg("need_by_from"),
        need_by_to=date_arg("need_by_to"),
        readiness=(args.get("readiness") or None),
        due=(args.get("due") or None),
        q=(args.get("q") or "").strip() or None,
        sort=(args.get("sort") or "sla"),
        page=page,
    )
    return filters, problems


@bp.get("/")
@require(kind="provider")
def index():
    ident = identity()
    filters, problems = _filters_from(request.args)
    session = dbs()
    try:
        page = services.read_queue(
            session, ident.organisation, ident.user.id if ident.user else None, filters
        )
    except ValidationFailed as exc:
        problems.update(exc.errors)
        filters = services.QueueFilters()
        page = services.read_queue(
            session, ident.organisation, ident.user.id if ident.user else None, filters
        )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "provider/queue/index.html",
        page=page,
        filters=filters,
        problems=problems,
        clients=services.engaged_clients(session, ident.organisation),
        buyers=handoff_review.provider_buyers(session, ident.organisation.id),
        statuses=states.QUEUE,
        priorities=PRIORITIES,
        sorts=services.SORTS,
        due_filters=services.DUE_FILTERS,
        risk_hours=at_risk.RISK_HOURS,
        labels=states.REQUIREMENT.labels,
        args=args,
        can_act=ident.can("requirement.review"),
        me=ident.user.id if ident.user else None,
        now=utcnow(),
    )


@bp.get("/export")
@require(kind="provider")
def export():
    """The queue as filtered on the page, every page of it, as CSV or XLSX."""
    fmt = exports.format_from(request.args)
    ident = identity()
    filters, problems = _filters_from(request.args)
    if problems:
        raise ValidationFailed(problems)
    filters.page = 1
    page = services.read_queue(
        dbs(),
        ident.organisation,
        ident.user.id if ident.user else None,
        filters,
        page_size=exports.MAX_ROWS,
        with_due_today=False,
    )
    labels = states.REQUIREMENT.labels
    tz_name = ident.organisation.timezone
    header = [
        "Client", "Reference", "Title", "Status", "Priority", "Ready", "Supplier", "Buyer",
        f"Handed off ({tz_name})", f"SLA due ({tz_name})", "Earliest need-by",
    ]  # fmt: skip
    rows = (
        [
            row.client_name,
            row.requirement.client_reference,
            row.requirement.title,
            labels.get(row.requirement.status, row.requirement.status),
            row.requirement.priority,
            row.requirement.ready,
            row.supplier_name,
            row.buyer_name,
            row.requirement.submitted_at,
            row.requirement.sla_due_at,
            row.requirement.earliest_need_by,
        ]  # fmt: skip
        for row in page.rows
    )
    return exports.export_response(fmt, "queue", header, rows, tz_name=tz_name)


def _back_url(requirement_id: uuid.UUID) -> str:
    target = request.form.get("next") or ""
    if target.startswith("/provider/") and not target.startswith("//"):
        return target
    return url_for("provider_review.review", requirement_id=requirement_id)


def _back(requirement_id: uuid.UUID):
    return redirect(_back_url(requirement_id))


@bp.post("/<uuid:requirement_id>/claim")
@require(kind="provider", permission="requirement.review")
def claim(requirement_id: uuid.UUID):
    ident = identity()
    try:
        req = handoff_review.claim(dbs(), ident.organisation.id, ident.user.id, requirement_id)
    except ServiceError as exc:
        return refused(exc, _back_url(requirement_id))
    flash(f"You have claimed {req.client_reference}.", "success")
    return _back(requirement_id)


@bp.post("/<uuid:requirement_id>/assign")
@require(kind="provider", permission="requirement.review")
def assign(requirement_id: uuid.UUID):
    ident = identity()
    raw = (request.form.get("buyer_id") or "").strip()
    try:
        buyer_id = uuid.UUID(raw) if raw else None
    except ValueError:
        buyer_id = uuid.uuid4()  # not anyone's id: the service refuses it with a message
    try:
        req = handoff_review.assign(dbs(), ident.organisation.id, requirement_id, buyer_id)
    except ServiceError as exc:
        return refused(exc, _back_url(requirement_id))
    flash(f"{req.client_reference} is now {'assigned' if buyer_id else 'unassigned'}.", "success")
    return _back(requirement_id)
