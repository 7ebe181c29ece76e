"""Requirement pages of the client portal: drafts, readiness, handoff, history.

Sourcing and admins write; approvers and viewers read. Views parse the form,
call a service and render; the readiness panel is re-rendered from unsaved
form data by a small fetch (``readiness_preview``) as the user types.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from baton.platform import audit, exports
from baton.platform.auth import identity, require
from baton.platform.db import utc_today
from baton.platform.errors import ServiceError, ValidationFailed
from baton.platform.forms import EmptyForm
from baton.platform.inputs import page_from
from baton.platform.numbers import format_number, parse_number, request_locale
from baton.platform.pages import refused
from baton.platform.web import dbs
from baton.procurement.orders.tracking import requirement_orders
from baton.sourcing.requirements import services, snapshot, states
from baton.sourcing.requirements.models import PRIORITIES, RETURN_REASONS
from baton.sourcing.requirements.readiness import ERROR, Finding, Readiness
from baton.sourcing.requirements.schemas import TYPE_ERRORS, DraftInputSchema
from baton.sourcing.suppliers.models import INCOTERMS
from baton.tenants.services import user_names

bp = Blueprint("client_requirements", __name__, url_prefix="/client/requirements")

LINE_INPUTS = ("id", "item_code", "description", "quantity", "unit", "unit_price", "need_by")
NUMBER_INPUTS = ("quantity", "unit_price")


def _client_id() -> uuid.UUID:
    return identity().organisation.id


def _user_id() -> uuid.UUID | None:
    user = identity().user
    return user.id if user is not None else None


# --- form values <-> input data -----------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        # Written as the user writes numbers, so saving it again reads it back.
        return format_number(value, request_locale())
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def values_of(req) -> dict[str, Any]:
    """What the edit form shows for a saved requirement: strings, as typed."""
    values = {name: _text(getattr(req, name)) for name in services.HEADER_FIELDS}
    values["lines"] = [
        {
            **{name: _text(getattr(line, name)) for name in LINE_INPUTS},
            "spec_required": line.spec_required,
            "spec_revision_ids": [str(s.revision_id) for s in line.specs],
        }
        for line in req.lines
    ]
    return values


def blank_values() -> dict[str, Any]:
    values = {name: "" for name in services.HEADER_FIELDS}
    values["priority"] = "normal"
    engagements = services.active_engagements(dbs(), _client_id())
    if len(engagements) == 1:
        values["engagement_id"] = str(engagements[0].id)
    values["lines"] = [_blank_line()]
    return values


def _blank_line() -> dict[str, Any]:
    return {**{name: "" for name in LINE_INPUTS}, "spec_required": False, "spec_revision_ids": []}


def values_from_form(form: MultiDict) -> dict[str, Any]:
    values = {name: form.get(name, "").strip() for name in services.HEADER_FIELDS}
    lines = []
    try:
        count = min(int(form.get("line_count", "0")), services.MAX_LINES + 1)
    except ValueError:
        count = 0
    for i in range(count):
        prefix = f"lines-{i}-"
        if f"{prefix}description" not in form and f"{prefix}id" not in form:
            continue
        lines.append(
            {
                **{name: form.get(prefix + name, "").strip() for name in LINE_INPUTS},
                "spec_required": form.get(prefix + "spec_required") in ("on", "1", "true", "y"),
                "spec_revision_ids": [v for v in form.getlist(prefix + "spec_revision_ids") if v],
            }
        )
    values["lines"] = lines
    return values


def _is_blank_line(line: dict[str, Any]) -> bool:
    return (
        not line["id"]
        and not line["spec_revision_ids"]
        and not any(line[name] for name in LINE_INPUTS if name != "id")
    )


def parse(values: dict[str, Any]) -> dict[str, Any]:
    """Typed input for the service. Numbers are read in the user's locale
    (``12,50`` in German); a cell that does not parse travels in the data under
    ``TYPE_ERRORS`` for the service to report beside every other problem."""
    locale = request_locale()
    number_errors: dict[str, str] = {}
    raw = {name: values[name] for name in services.HEADER_FIELDS}
    raw["lines"] = []
    for line in values["lines"]:
        if _is_blank_line(line):
            continue
        n = len(raw["lines"]) + 1
        item = {
            **{name: line[name] for name in LINE_INPUTS},
            "spec_required": line["spec_required"],
            "spec_revision_ids": line["spec_revision_ids"],
        }
        for name in NUMBER_INPUTS:
            try:
                item[name] = parse_number(item[name], locale)
            except ValueError as exc:
                number_errors[f"lines[{n}].{name}"] = str(exc)
                item[name] = None
        raw["lines"].append(item)
    data = DraftInputSchema().load(raw)
    if number_errors:
        data[TYPE_ERRORS] = {**data.get(TYPE_ERRORS, {}), **number_errors}
    return data


# --- pages ---------------------------------------------------------------------------------


@bp.get("/")
@require(kind="client")
def index():
    status = request.args.get("status") or None
    known = states.REQUIREMENT.is_known_filter(status)
    status = status if known else None
    q = (request.args.get("q") or "").strip() or None
    page = page_from(request.args.get("page"))
    rows, has_next = services.list_for_client(dbs(), _client_id(), status=status, q=q, page=page)
    return render_template(
        "client/requirements/list.html",
        rows=rows,
        has_next=has_next,
        page=page,
        status=status,
        q=q,
        labels=states.REQUIREMENT.labels,
        groups=states.REQUIREMENT.filters,
        providers=_provider_names(),
        can_write=identity().can("requirement.write"),
    )


@bp.get("/export")
@require(kind="client")
def export():
    """The list as filtered on the page, every page of it, as CSV or XLSX."""
    fmt = exports.format_from(request.args)
    status = request.args.get("status") or None
    status = status if states.REQUIREMENT.is_known_filter(status) else None
    q = (request.args.get("q") or "").strip() or None
    rows, _more = services.list_for_client(
        dbs(), _client_id(), status=status, q=q, per_page=exports.MAX_ROWS
    )
    providers = _provider_names()
    labels = states.REQUIREMENT.labels
    tz_name = identity().organisation.timezone
    header = [
        "Reference", "Title", "Provider", "Status", "Ready", "Priority", "Currency",
        "Earliest need-by", f"Handed off ({tz_name})", f"Updated ({tz_name})",
    ]  # fmt: skip
    body = (
        [
            r.client_reference,
            r.title,
            providers.get(r.engagement_id, ""),
            labels.get(r.status, r.status),
            r.ready,
            r.priority,
            r.currency,
            r.earliest_need_by,
            r.submitted_at,
            r.updated_at,
        ]  # fmt: skip
        for r in rows
    )
    return exports.export_response(fmt, "requirements", header, body, tz_name=tz_name)


def _provider_names() -> dict:
    from baton.tenants.services import engagements_of

    return {e.id: e.provider.name for e in engagements_of(dbs(), identity().organisation)}


def _choices() -> dict[str, Any]:
    from baton.sourcing.documents.services import revision_choices
    from baton.sourcing.suppliers.services import qualification_label, supplier_choices

    session, client_id = dbs(), _client_id()
    today = utc_today()
    return {
        "engagements": services.active_engagements(session, client_id),
        "suppliers": [
            (s, qualification_label(s, today), s.is_usable(today))
            for s in supplier_choices(session, client_id)
        ],
        "revisions": revision_choices(session, client_id),
        "priorities": PRIORITIES,
        "incoterms": INCOTERMS,
    }


def _edit_page(
    values: dict[str, Any],
    req=None,
    errors: dict | None = None,
    status: int = 200,
    result: Readiness | None = None,
):
    if result is None:
        result = _preview(values)
    open_return = services.open_return(dbs(), req) if req is not None else None
    return render_template(
        "client/requirements/edit.html",
        req=req,
        values=values,
        errors=errors or {},
        readiness=result,
        open_return=open_return,
        reason_labels=RETURN_REASONS,
        field_label=snapshot.field_label,
        **_choices(),
    ), status


def _preview(values: dict[str, Any]) -> Readiness:
    """Readiness of what is on the form: every finding, with a cell that does
    not even parse shown as its own failure in place of what it would say."""
    data = parse(values)
    invalid = data.pop(TYPE_ERRORS, {})
    result = services.preview_readiness(dbs(), _client_id(), data)
    return Readiness(
        tuple(Finding(field, ERROR, message, "invalid") for field, message in invalid.items())
        + tuple(f for f in result.findings if f.field not in invalid)
    )


@bp.route("/new", methods=["GET", "POST"])
@require(kind="client", permission="requirement.write")
def new():
    if request.method != "POST":
        return _edit_page(blank_values())
    return _save(None)


@bp.get("/<uuid:requirement_id>")
@require(kind="client")
def detail(requirement_id: uuid.UUID):
    session = dbs()
    req = services.get_for_client(session, _client_id(), requirement_id)
    snaps = services.snapshots_of(session, req)
    current = next((s for s in snaps if s.id == req.current_snapshot_id), None)
    result = services.readiness_for(session, req, current)
    actions = services.available_actions(req, identity().can("requirement.write"))
    reviews = services.reviews_of(session, req)
    people = user_names(session, {r.reviewer_id for r in reviews} | {req.created_by_id})
    specs = services.spec_revisions(
        session, req.tenant_id, [s.revision_id for line in req.lines for s in line.specs]
    )
    return render_template(
        "client/requirements/detail.html",
        req=req,
        supplier=services.supplier_of(session, req),
        provider=_provider_names().get(req.engagement_id),
        readiness=result,
        snapshots=snaps,
        current=current,
        reviews=reviews,
        open_return=services.open_return(session, req),
        people=people,
        specs=specs,
        outdated=services.outdated_specs(
            session,
            req.tenant_id,
            [(line.line_no, s.revision_id) for line in req.lines for s in line.specs],
            known=specs,
        ),
        events=audit.events_for(session, req.tenant_id, "requirement", req.id),
        # Its purchase orders (client_portal/templates/client/requirements/_orders.html).
        tracking=requirement_orders(session, req),
        labels=states.REQUIREMENT.labels,
        reason_labels=RETURN_REASONS,
        field_label=snapshot.field_label,
        can_write=identity().can("requirement.write"),
        can_edit="edit" in actions,
        can_submit="submit" in actions,
        can_cancel="cancel" in actions,
        form=EmptyForm(),
        today=utc_today(),
    )


@bp.route("/<uuid:requirement_id>/edit", methods=["GET", "POST"])
@require(kind="client", permission="requirement.write")
def edit(requirement_id: uuid.UUID):
    req = services.get_for_client(dbs(), _client_id(), requirement_id)
    if req.status not in states.REQUIREMENT.group("editable"):
        flash(
            f"A {states.REQUIREMENT.label(req.status).lower()} requirement cannot be edited.",
            "error",
        )
        return redirect(url_for(".detail", requirement_id=req.id))
    if request.method != "POST":
        return _edit_page(values_of(req), req)
    return _save(req)


def _save(req):
    values = values_from_form(request.form)
    action = request.form.get("action", "save")
    if action == "add_line":
        values["lines"].append(_blank_line())
        return _edit_page(values, req)
    if action.startswith("remove_line:"):
        try:
            index = int(action.partition(":")[2])
        except ValueError:
            index = -1
        if 0 <= index < len(values["lines"]):
            values["lines"].pop(index)
        return _edit_page(values, req)
    try:
        data = parse(values)  # unparsable cells are reported by save_draft with the rest
        saved = services.save_draft(
            dbs(), _client_id(), _user_id(), data, req.id if req is not None else None
        )
    except ValidationFailed as exc:
        return _edit_page(values, req, exc.errors, 422)
    if action == "submit":
        try:
            services.submit(
                dbs(), _client_id(), _user_id(), saved.id, accept_warnings=_accepts_warnings()
            )
        except ValidationFailed as exc:
            return _edit_page(values, req, exc.errors, 422)
        flash(f"{saved.client_reference} was handed off to the provider.", "success")
        return redirect(url_for(".detail", requirement_id=saved.id))
    flash(f"{saved.client_reference} saved.", "success")
    return redirect(url_for(".edit", requirement_id=saved.id))


def _accepts_warnings() -> bool:
    """The "Hand off despite the warnings" box: the person has weighed them."""
    return request.form.get("accept_warnings") in ("on", "1", "true", "y")


@bp.post("/readiness-preview")
@require(kind="client", permission="requirement.write")
def readiness_preview():
    """The readiness panel for unsaved form data; writes nothing."""
    values = values_from_form(request.form)
    return render_template(
        "sourcing/requirements/_readiness.html",
        readiness=_preview(values),
        field_label=snapshot.field_label,
    )


@bp.post("/<uuid:requirement_id>/submit")
@require(kind="client", permission="requirement.write")
def submit(requirement_id: uuid.UUID):
    EmptyForm().validate_on_submit()
    try:
        req = services.submit(
            dbs(), _client_id(), _user_id(), requirement_id, accept_warnings=_accepts_warnings()
        )
    except ServiceError as exc:
        return refused(exc, url_for(".detail", requirement_id=requirement_id))
    flash(f"{req.client_reference} was handed off to the provider.", "success")
    return redirect(url_for(".detail", requirement_id=req.id))


@bp.post("/<uuid:requirement_id>/cancel")
@require(kind="client", permission="requirement.write")
def cancel(requirement_id: uuid.UUID):
    try:
        req = services.cancel(
            dbs(), _client_id(), _user_id(), requirement_id, request.form.get("reason")
        )
    except ServiceError as exc:
        return refused(exc, url_for(".detail", requirement_id=requirement_id))
    flash(f"{req.client_reference} was cancelled.", "success")
    return redirect(url_for(".detail", requirement_id=req.id))


@bp.get("/<uuid:requirement_id>/snapshots/<uuid:snapshot_id>")
@require(kind="client")
def snapshot_view(requirement_id: uuid.UUID, snapshot_id: uuid.UUID):
    session = dbs()
    req = services.get_for_client(session, _client_id(), requirement_id)
    return render_template(
        "client/requirements/snapshot.html", **snapshot_context(session, req, snapshot_id)
    )


def snapshot_context(session, req, snapshot_id: uuid.UUID) -> dict[str, Any]:
    context = services.compare_snapshot(session, req, snapshot_id, request.args.get("against"))
    return context | {
        "req": req,
        "field_label": snapshot.field_label,
        "labels": states.REQUIREMENT.labels,
        "spec_url": lambda s: url_for(
            "client_documents.download", document_id=s["document_id"], revision_id=s["revision_id"]
        ),
    }
