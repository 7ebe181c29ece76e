"""A supplier's scorecard for integrations (a sourcing tool requalifying suppliers)."""

from __future__ import annotations

import uuid

from baton.platform.api import ApiBlueprint, token_required
from baton.platform.auth import identity
from baton.platform.web import dbs
from baton.procurement.sla import scorecards
from baton.procurement.sla.scorecard_schemas import ScorecardSchema, dump_shape
from baton.sourcing.suppliers import services

blp = ApiBlueprint(
    "api_supplier_scorecards",
    __name__,
    description="Supplier scorecards: OTIF, acknowledgement, lead time, rejections, changes",
    ids={"supplier_id": "the supplier's id, from GET /api/v1/suppliers"},
)


@blp.get("/suppliers/<uuid:supplier_id>/scorecard")
@token_required(kind="client")
@blp.response(200, ScorecardSchema)
def get_scorecard(supplier_id: uuid.UUID):
    """The supplier's last 12 months and its 3- and 12-month figures, from the last SLA rollup."""
    org = identity().organisation
    services.get_supplier(dbs(), org.id, supplier_id)
    return dump_shape(scorecards.scorecard(dbs(), org.id, supplier_id, org.timezone))
