"""The client's SLA dashboard: targets against actuals, breaches, drill-down, exports.

Every figure is read from the rollup's tables (``procurement/sla/dashboard.py``);
these views only parse the month and the engagement, and render.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, render_template, request, send_file

from baton.platform import exports
from baton.platform.auth import identity, require
from baton.platform.inputs import page_from
from baton.platform.web import dbs
from baton.procurement.sla import dashboard, dashboard_terms, drilldown, report
from baton.tenants.engagement_settings import calendar_of

bp = Blueprint("client_sla", __name__, url_prefix="/client/sla")

# Chart.js comes from the Debian package libjs-chart.js, installed by
# infra/scripts/ensure-system-packages.sh (never a CDN, never in the repository).
# Without it the page still shows every figure as tables.
CHART_JS = Path("/usr/share/javascript/chart.js/chart.min.js")


def _org():
    return identity().organisation


def _today():
    from baton.platform.db import utcnow
    from baton.platform.schedules import zone

    return utcnow().astimezone(zone(_org().timezone)).date()


def _engagement(engagements=None):
    engagements = (
        engagements
        if engagements is not None
        else dashboard_terms.client_engagements(dbs(), _org().id)
    )
    # ``engagement_id`` too, as the API and other pages name it.
    wanted = dashboard_terms.parse_engagement_id(
        request.args.get("engagement") or request.args.get("engagement_id")
    )
    return engagements, dashboard_terms.choose(engagements, wanted)


@bp.get("")
@require(kind="client")
def index():
    engagements, engagement = _engagement()
    period = dashboard_terms.parse_period(request.args.get("period"), _today())
    view = dashboard.month_view(dbs(), engagement, period) if engagement else None
    return render_template(
        "client/sla/index.html",
        engagements=engagements,
        engagement=engagement,
        period=period,
        view=view,
        previous=dashboard_terms.shift(period, -1),
        following=dashboard_terms.shift(period, 1),
        chart_available=CHART_JS.is_file(),
        party_labels=dashboard_terms.PARTY_LABELS,
        owner_labels=dashboard_terms.OWNER_LABELS,
        metric_labels=dashboard_terms.METRIC_LABELS,
        subject_link=drilldown.subject_link,
        elapsed_text=drilldown.elapsed_text,
        cause_label=dashboard_terms.cause_label,
        describe_target=dashboard.describe_target,
        chart=dashboard.chart_data(view) if view else None,
    )


def _query():
    _engagements, engagement = _engagement()
    if engagement is None:
        abort(404)
    return engagement, drilldown.parse_measure_query(request.args, engagement.id, _today())


@bp.get("/measures")
@require(kind="client")
def measures():
    engagement, query = _query()
    page = page_from(request.args.get("page"))
    rows, has_next = drilldown.measures(dbs(), _org().id, query, page=page)
    return render_template(
        "client/sla/measures.html",
        engagement=engagement,
        calendar=calendar_of(engagement),
        query=query,
        rows=rows,
        page=page,
        has_next=has_next,
        party_labels=dashboard_terms.PARTY_LABELS,
        metric_labels=dashboard_terms.METRIC_LABELS,
        subject_link=drilldown.subject_link,
        elapsed_text=drilldown.elapsed_text,
        cause_label=dashboard_terms.cause_label,
    )


@bp.get("/measures/export")
@require(kind="client")
def export_measures():
    """The drill-down as filtered, every page of it, as CSV or XLSX."""
    fmt = exports.format_from(request.args)
    _engagement_row, query = _query()
    rows, _more = drilldown.measures(dbs(), _org().id, query, per_page=exports.MAX_ROWS)
    name = "sla-measures" + (f"-{query.period:%Y-%m}" if query.period else "")
    return exports.export_response(
        fmt,
        name,
        drilldown.MEASURE_HEADER,
        drilldown.measure_rows(rows),
        tz_name=_org().timezone,
    )


@bp.get("/export")
@require(kind="client")
def export_month():
    """The month's figures (targets, metrics, causes, credit) as CSV or XLSX."""
    fmt = exports.format_from(request.args)
    _engagements, engagement = _engagement()
    if engagement is None:
        abort(404)
    period = dashboard_terms.parse_period(request.args.get("period"), _today())
    view = dashboard.month_view(dbs(), engagement, period)
    return exports.export_response(
        fmt,
        f"sla-{period:%Y-%m}",
        drilldown.FIGURE_HEADER,
        drilldown.figure_rows(view),
        tz_name=_org().timezone,
    )


@bp.get("/report.pdf")
@require(kind="client")
def report_pdf():
    """The monthly report as emailed on the first business day (default: last month)."""
    _engagements, engagement = _engagement()
    if engagement is None:
        abort(404)
    today = _today()
    raw = request.args.get("period")
    period = (
        dashboard_terms.parse_period(raw, today)
        if raw
        else dashboard_terms.shift(dashboard_terms.month_start(today), -1)
    )
    org = _org()
    body = report.render(
        report.build(dbs(), org, [dashboard.month_view(dbs(), engagement, period)], period)
    )
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="sla-report-{period:%Y-%m}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/chart.js")
@require(kind="client")
def chart_js():
    if not CHART_JS.is_file():
        abort(404)
    return send_file(CHART_JS, mimetype="text/javascript", max_age=86400)


@bp.get("/charts.js")
@require(kind="client")
def charts_js():
    return send_file(
        Path(__file__).with_name("assets") / "sla_charts.js", mimetype="text/javascript"
    )
