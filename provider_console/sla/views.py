"""The provider's SLA page across its clients, and the measures behind each figure."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from baton.platform.auth import identity, require
from baton.platform.errors import ValidationFailed
from baton.platform.web import dbs
from baton.procurement.sla import provider_dashboard as dashboard
from baton.procurement.sla import provider_measures as measures
from baton.procurement.sla.credits import TARGET_METRIC
from baton.tenants.sla_targets import KINDS

bp = Blueprint("provider_sla", __name__, url_prefix="/provider/sla")


@bp.get("/")
@require(kind="provider")
def index():
    org = identity().organisation
    problems: dict[str, str] = {}
    try:
        period = dashboard.parse_period(request.args.get("period"), org.timezone)
    except ValidationFailed as exc:
        problems = exc.errors
        period = dashboard.parse_period(None, org.timezone)
    return render_template(
        "provider/sla/index.html",
        sla=dashboard.read(dbs(), org, period),
        problems=problems,
        kinds=KINDS,
        labels=dashboard.METRIC_LABELS,
        target_metric=TARGET_METRIC,
        period_arg=period.strftime("%Y-%m"),
    )


@bp.get("/measures")
@require(kind="provider")
def measure_list():
    org = identity().organisation
    problems: dict[str, str] = {}
    try:
        filters = measures.filters_from(request.args, org.timezone)
    except ValidationFailed as exc:
        problems = exc.errors
        filters = measures.MeasureFilters(period=dashboard.parse_period(None, org.timezone))
    page = measures.list_measures(dbs(), org, filters)
    return render_template(
        "provider/sla/measures.html",
        page=page,
        filters=filters,
        problems=problems,
        labels=dashboard.METRIC_LABELS,
        states=measures.STATES,
        parties=dashboard.PARTIES,
        args=filters.args(),
    )
