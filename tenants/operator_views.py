"""The platform operator's pages: plans, and every provider's billing.

The operator is a person (``User.is_operator``), not an organisation, so these
pages belong to no audience; they live with the plans they edit. Anyone else
gets 404 (the app's answer for a page that is not theirs, DESIGN.md section
2). The operator acts across tenants, as the operator CLI does: the request's
session is the service role's, committed or rolled back by the request
lifecycle like any other.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from baton.platform.auth import login_manager
from baton.platform.db import db
from baton.platform.errors import ServiceError, ValidationFailed
from baton.platform.pages import refused
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.platform.web import dbs, refuse
from baton.tenants.billing import plans, statements
from baton.tenants.billing.ledger import METRICS
from baton.tenants.billing.overview import providers_overview
from baton.tenants.operator_forms import PlanForm, fill, form_data, show_errors
from baton.tenants.organisations import get_organisation

bp = Blueprint("operator", __name__, template_folder="templates", url_prefix="/operator")


def is_operator() -> bool:
    return bool(current_user.is_authenticated and getattr(current_user, "is_operator", False))


@bp.before_request
def _operator_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not is_operator():
        abort(404)
    # The request's own session was opened with the operator's (empty) context;
    # swap it for the service role's before anything is read.
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
    g.db_session = db.new_service_session(SERVICE_CONTEXT)
    return None


@bp.get("/plans")
def plans_index():
    return render_template("operator/plans.html", plans=plans.list_plans(dbs()), metrics=METRICS)


def _form_page(form: PlanForm, plan=None, status: int = 200):
    return render_template("operator/plan_form.html", form=form, plan=plan, metrics=METRICS), status


@bp.route("/plans/new", methods=["GET", "POST"])
def plan_new():
    form = PlanForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _form_page(form, status=200 if request.method == "GET" else 400)
    try:
        plan = plans.create_plan(dbs(), form_data(form))
    except ValidationFailed as exc:
        refuse()
        show_errors(form, exc.errors)
        return _form_page(form, status=422)
    flash(f"Plan {plan.code} created.", "success")
    return redirect(url_for(".plans_index"))


@bp.route("/plans/edit", methods=["GET", "POST"])
def plan_edit():
    """``?code=``: plans are named by code (they are nobody's rows, and have no id route)."""
    plan = plans.get_plan(dbs(), request.args.get("code", ""))
    form = PlanForm()
    if request.method == "GET":
        fill(form, plan)
        return _form_page(form, plan)
    if not form.validate_on_submit():
        return _form_page(form, plan, status=400)
    if request.form.get("archive") == "yes":
        plans.archive_plan(dbs(), plan.code)
        flash(f"Plan {plan.code} archived: providers on it keep it.", "success")
        return redirect(url_for(".plans_index"))
    try:
        plans.update_plan(dbs(), plan.code, form_data(form))
    except ValidationFailed as exc:
        refuse()
        form.code.data = plan.code
        show_errors(form, exc.errors)
        return _form_page(form, plans.get_plan(dbs(), plan.code), status=422)
    flash(f"Plan {plan.code} saved; providers on it move to the new terms from now.", "success")
    return redirect(url_for(".plans_index"))


@bp.get("/billing")
def billing():
    problems: dict[str, str] = {}
    try:
        month = statements.parse_month(request.args.get("month"))
    except ValidationFailed as exc:
        problems = exc.errors
        month = statements.parse_month(None)
    return render_template(
        "operator/billing.html",
        rows=providers_overview(dbs(), month),
        month=month,
        problems=problems,
        metrics=METRICS,
        previous=statements.shift(month, -1),
        following=statements.shift(month, 1),
        plans=plans.list_plans(dbs(), include_archived=False),
    )


@bp.post("/billing/assign")
def assign():
    try:
        provider_id = uuid.UUID(request.form.get("provider_id", ""))
    except ValueError:
        abort(404)
    org = get_organisation(dbs(), provider_id)
    code = request.form.get("plan", "")
    try:
        plans.assign_plan(dbs(), org.id, code)
    except ServiceError as exc:
        return refused(exc, url_for(".billing"))
    flash(f"{org.name} is on plan {code} from now.", "success")
    return redirect(url_for(".billing"))
