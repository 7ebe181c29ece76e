"""The client admin's usage page: its share of each provider's metered usage, by
month and metric, and the same as CSV or XLSX. Quantities only: what the usage
costs is the provider's plan with the platform (docs/billing.md)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from baton.platform import exports
from baton.platform.auth import identity, require
from baton.platform.errors import ValidationFailed
from baton.platform.web import dbs
from baton.tenants.billing import statements
from baton.tenants.billing.client_usage import CSV_HEADER, client_usage, csv_rows
from baton.tenants.billing.ledger import METRICS

bp = Blueprint("client_usage", __name__, url_prefix="/client/usage")
MONTHS_BACK = 12


@bp.get("")
@require(kind="client", permission="usage.read")
def index():
    problems: dict[str, str] = {}
    try:
        month = statements.parse_month(request.args.get("month"))
    except ValidationFailed as exc:
        problems = exc.errors
        month = statements.parse_month(None)
    current = statements.parse_month(None)
    return render_template(
        "client/usage/index.html",
        usage=client_usage(dbs(), identity().organisation.id, month),
        month=month,
        months=[statements.shift(current, -i) for i in range(MONTHS_BACK)],
        problems=problems,
        metrics=METRICS,
    )


@bp.get("/export")
@require(kind="client", permission="usage.read")
def export():
    fmt = exports.format_from(request.args)
    month = statements.parse_month(request.args.get("month"))
    org = identity().organisation
    usage = client_usage(dbs(), org.id, month)
    return exports.export_response(
        fmt, f"usage-{month:%Y-%m}", CSV_HEADER, csv_rows(usage), tz_name=org.timezone
    )
