"""A supplier's scorecard in the client portal: the monthly trend and what is behind each figure.

Everyone in the client organisation reads it; the figures come from the SLA
rollup's measures (``procurement/sla/scorecards.py``), never computed here.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, render_template, request

from baton.platform.auth import identity, require
from baton.platform.errors import ValidationFailed
from baton.platform.web import dbs
from baton.procurement.sla import scorecard_drill, scorecards
from baton.sourcing.suppliers import services

bp = Blueprint("client_scorecards", __name__, url_prefix="/client/suppliers")


def _org():
    return identity().organisation


@bp.get("/<uuid:supplier_id>/scorecard")
@require(kind="client")
def scorecard(supplier_id: uuid.UUID):
    org = _org()
    supplier = services.get_supplier(dbs(), org.id, supplier_id)
    return render_template(
        "client/suppliers/scorecard.html",
        supplier=supplier,
        card=scorecards.scorecard(dbs(), org.id, supplier_id, org.timezone),
        can_edit_threshold=identity().can("approval_policy.manage"),
    )


@bp.get("/<uuid:supplier_id>/scorecard/behind")
@require(kind="client")
def behind(supplier_id: uuid.UUID):
    """The rows behind one figure (``figure``, OTIF unless given) in a ``month``
    (YYYY-MM) or the last ``window`` months (3, the default, or 12)."""
    org = _org()
    supplier = services.get_supplier(dbs(), org.id, supplier_id)
    figure = request.args.get("figure") or "otif"
    try:
        span = scorecard_drill.span_of(
            org.timezone, request.args.get("month"), request.args.get("window")
        )
        rows = scorecard_drill.behind(dbs(), org.id, supplier_id, figure, span, org.timezone)
    except ValidationFailed as exc:
        return render_template(
            "client/suppliers/scorecard_behind.html",
            supplier=supplier,
            title="Scorecard",
            figure=None,
            span=None,
            rows=[],
            errors=exc.errors,
        ), 400
    return render_template(
        "client/suppliers/scorecard_behind.html",
        supplier=supplier,
        figure=figure,
        title=scorecard_drill.TITLES[figure],
        span=span,
        rows=rows,
        limit=scorecard_drill.LIMIT,
        errors={},
    )
