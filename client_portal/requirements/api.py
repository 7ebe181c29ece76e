"""Requirements for integrations: a client ERP creates and submits them and
reads their status and readiness; a provider reads its queue and decides.

Bad input answers 422 with ``errors`` keyed by field path
(``lines[2].quantity``) and changes nothing: the request's one transaction
is rolled back.
"""

from __future__ import annotations

import uuid

from flask_smorest import Blueprint

from baton.client_portal.requirements import services, snapshot
from baton.client_portal.requirements.schemas import (
    AcceptInputSchema,
    DraftInputSchema,
    DraftPatchSchema,
    QueuePageSchema,
    QueueQuerySchema,
    ReadinessSchema,
    RequirementOutputSchema,
    ReturnInputSchema,
)
from baton.platform.api import token_required
from baton.platform.auth import identity
from baton.platform.web import dbs
from baton.provider_console.queue import services as queue

blp = Blueprint(
    "api_requirements", __name__, description="Approved requirements and the handoff queue"
)

WRITERS = ("admin", "sourcing")
BUYERS = ("admin", "buyer")


def _org_id() -> uuid.UUID:
    return identity().organisation.id


def _number(value) -> str | None:
    return snapshot.decimal_text(value) if value is not None else None


def represent(req, *, provider_view: bool = False) -> dict:
    """A requirement as the API shows it; the provider sees the frozen snapshot."""
    session = dbs()
    snap = services.current_snapshot(session, req)
    if provider_view or (req.status not in ("draft", "returned") and snap is not None):
        result = services.snapshot_readiness(session, req, snap)
    else:
        result = services.live_readiness(session, req)
    open_return = services.open_return(session, req)
    return {
        **{name: getattr(req, name) for name in services.HEADER_FIELDS},
        "id": req.id,
        "status": req.status,
        "provider_id": req.provider_id,
        "submitted_at": req.submitted_at,
        "sla_due_at": req.sla_due_at,
        "snapshot_version": snap.version if snap else None,
        "snapshot_sha256": snap.sha256 if snap else None,
        "lines": [
            {
                "id": line.id,
                "line_no": line.line_no,
                **{name: getattr(line, name) for name in services.LINE_FIELDS},
                # "3.85" however it was stored (3.8500 after a round trip).
                "quantity": _number(line.quantity),
                "unit_price": _number(line.unit_price),
                "spec_required": line.spec_required,
                "spec_revision_ids": [s.revision_id for s in line.specs],
            }
            for line in req.lines
        ],
        "readiness": result.as_dict(),
        "return_reasons": open_return.reasons if open_return else [],
    }


@blp.get("/requirements")
@token_required(kind="client")
@blp.response(200, RequirementOutputSchema(many=True))
def list_requirements():
    from flask import request

    status = request.args.get("status") or None
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    rows, _more = services.list_for_client(dbs(), _org_id(), status=status, page=page)
    return [represent(r) for r in rows]


@blp.post("/requirements")
@token_required(kind="client", roles=WRITERS)
@blp.arguments(DraftInputSchema)
@blp.response(201, RequirementOutputSchema)
def create_requirement(data):
    req = services.save_draft(dbs(), _org_id(), None, data)
    return represent(req)


@blp.get("/requirements/<uuid:requirement_id>")
@token_required(kind="client")
@blp.response(200, RequirementOutputSchema)
def get_requirement(requirement_id: uuid.UUID):
    return represent(services.get_for_client(dbs(), _org_id(), requirement_id))


@blp.patch("/requirements/<uuid:requirement_id>")
@token_required(kind="client", roles=WRITERS)
@blp.arguments(DraftPatchSchema)
@blp.response(200, RequirementOutputSchema)
def update_requirement(data, requirement_id: uuid.UUID):
    session = dbs()
    req = services.get_for_client(session, _org_id(), requirement_id)
    merged = services.input_of(req) | data
    req = services.save_draft(session, _org_id(), None, merged, requirement_id)
    return represent(req)


@blp.post("/requirements/<uuid:requirement_id>/submit")
@token_required(kind="client", roles=WRITERS)
@blp.response(200, RequirementOutputSchema)
def submit_requirement(requirement_id: uuid.UUID):
    return represent(services.submit(dbs(), _org_id(), None, requirement_id))


@blp.get("/requirements/<uuid:requirement_id>/readiness")
@token_required(kind="client")
@blp.response(200, ReadinessSchema)
def requirement_readiness(requirement_id: uuid.UUID):
    req = services.get_for_client(dbs(), _org_id(), requirement_id)
    return represent(req)["readiness"]


@blp.get("/queue")
@token_required(kind="provider")
@blp.arguments(QueueQuerySchema, location="query")
@blp.response(200, QueuePageSchema)
def read_queue(args):
    ident = identity()
    filters = queue.QueueFilters(**{k: v for k, v in args.items() if v is not None})
    page = queue.read_queue(dbs(), ident.organisation, None, filters, with_due_today=False)
    return {
        "page": page.page,
        "has_next": page.has_next,
        "items": [
            {
                "id": row.requirement.id,
                "client_id": row.requirement.tenant_id,
                "client_name": row.client_name,
                "client_reference": row.requirement.client_reference,
                "title": row.requirement.title,
                "status": row.requirement.status,
                "priority": row.requirement.priority,
                "ready": row.requirement.ready,
                "submitted_at": row.requirement.submitted_at,
                "sla_due_at": row.requirement.sla_due_at,
                "earliest_need_by": row.requirement.earliest_need_by,
                "assigned_buyer_id": row.requirement.assigned_buyer_id,
                "assigned_buyer": row.buyer_name,
                "supplier_name": row.supplier_name,
            }
            for row in page.rows
        ],
    }


@blp.get("/queue/<uuid:requirement_id>")
@token_required(kind="provider")
@blp.response(200, RequirementOutputSchema)
def queue_item(requirement_id: uuid.UUID):
    req = services.get_for_provider(dbs(), _org_id(), requirement_id)
    return represent(req, provider_view=True)


@blp.post("/queue/<uuid:requirement_id>/accept")
@token_required(kind="provider", roles=BUYERS)
@blp.arguments(AcceptInputSchema)
@blp.response(200, RequirementOutputSchema)
def accept_requirement(data, requirement_id: uuid.UUID):
    req = services.accept(dbs(), _org_id(), None, requirement_id, data.get("comment"))
    return represent(req, provider_view=True)


@blp.post("/queue/<uuid:requirement_id>/return")
@token_required(kind="provider", roles=BUYERS)
@blp.arguments(ReturnInputSchema)
@blp.response(200, RequirementOutputSchema)
def return_requirement(data, requirement_id: uuid.UUID):
    req = services.return_requirement(
        dbs(), _org_id(), None, requirement_id, data["reasons"], data.get("comment")
    )
    return represent(req, provider_view=True)
