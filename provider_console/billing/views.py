"""The provider admin's billing page: plan, the month's usage and forecast, the
statement (per client, SLA credits), past months, and Stripe's invoices.

Every figure comes from ``tenants.billing.statements``; this view parses the
month and renders. Without Stripe there are no invoices, so the page lists
the past months' statements instead, as what Stripe would invoice
(``statement_history``), each viewable here and downloadable (``export``). The subscription and payment controls are the include
``provider/billing/_subscription.html``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, render_template, request, send_file

from baton.platform import exports
from baton.platform.auth import identity, require
from baton.platform.errors import ValidationFailed
from baton.platform.stripe_client import pushing_enabled
from baton.platform.web import dbs
from baton.tenants.billing import invoices, statement_history, statements, subscriptions
from baton.tenants.billing.ledger import METRICS
from baton.tenants.billing.push import pending_push
from baton.tenants.billing.standing import billing_standing

bp = Blueprint("provider_billing", __name__, url_prefix="/provider/billing")

# Chart.js from the Debian package libjs-chart.js (never a CDN); without it the
# page still shows every figure as a table.
CHART_JS = Path("/usr/share/javascript/chart.js/chart.min.js")
MONTHS_BACK = 12


@bp.get("")
@require(kind="provider", permission="billing.manage")
def index():
    org = identity().organisation
    problems: dict[str, str] = {}
    try:
        month = statements.parse_month(request.args.get("month"))
    except ValidationFailed as exc:
        problems = exc.errors
        month = statements.parse_month(None)
    session = dbs()
    statement = statements.provider_statement(session, org.id, month)
    current = statements.parse_month(None)
    embedded = not pushing_enabled()
    chart = {
        "labels": [m.label for m in statement.metrics],
        "quantities": [float(m.quantity) for m in statement.metrics],
        "forecast": [
            float(statement.forecast.quantities.get(m.metric, 0)) if statement.forecast else None
            for m in statement.metrics
        ],
    }
    stripe_invoices = invoices.invoices_for(session, org.id)
    return render_template(
        "provider/billing/index.html",
        statement=statement,
        account=subscriptions.account_of(session, org.id),
        standing=billing_standing(session, org.id),
        stripe_enabled=not embedded,
        month=month,
        current=current,
        months=[statements.shift(current, -i) for i in range(MONTHS_BACK)],
        problems=problems,
        metrics=METRICS,
        invoices=stripe_invoices,
        past=statement_history.past_months(session, org.id, current=current)
        if stripe_invoices is None
        else None,
        embedded=embedded,
        pending=pending_push(session, org.id) if embedded else None,
        chart=chart,
        chart_available=CHART_JS.is_file(),
    )


@bp.get("/statement")
@require(kind="provider", permission="billing.manage")
def export():
    """A month's statement, line by line, as CSV or XLSX."""
    fmt = exports.format_from(request.args)
    month = statements.parse_month(request.args.get("month"))
    org = identity().organisation
    statement = statements.provider_statement(dbs(), org.id, month)
    return exports.export_response(
        fmt,
        f"statement-{month:%Y-%m}",
        statement_history.CSV_HEADER,
        statement_history.csv_rows(statement),
        tz_name=org.timezone,
    )


@bp.get("/chart.js")
@require(kind="provider", permission="billing.manage")
def chart_js():
    if not CHART_JS.is_file():
        abort(404)
    return send_file(CHART_JS, mimetype="text/javascript", max_age=86400)


@bp.get("/usage-chart.js")
@require(kind="provider", permission="billing.manage")
def usage_chart_js():
    return send_file(
        Path(__file__).with_name("assets") / "usage_chart.js", mimetype="text/javascript"
    )
