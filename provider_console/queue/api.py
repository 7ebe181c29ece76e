"""The provider's handoff queue for integrations: read the queue and one item,
accept or return. Bad input answers 422 naming the field and changes nothing."""

from __future__ import annotations

import uuid

from baton.platform.api import ApiBlueprint, token_required
from baton.platform.auth import identity
from baton.platform.planner import paged_only, walks_an_index
from baton.platform.web import dbs
from baton.procurement.handoff import queue, review
from baton.sourcing.requirements.presenters import represent
from baton.sourcing.requirements.schemas import (
    AcceptInputSchema,
    QueuePageSchema,
    QueueQuerySchema,
    RequirementOutputSchema,
    ReturnInputSchema,
)

blp = ApiBlueprint(
    "api_queue",
    __name__,
    description="The provider's handoff queue",
    ids={"requirement_id": "the handed-off requirement's id, from GET /api/v1/queue"},
)


def _org_id() -> uuid.UUID:
    return identity().organisation.id


@blp.get("/queue")
@walks_an_index(when=paged_only)
@token_required(kind="provider")
@blp.arguments(QueueQuerySchema, location="query")
@blp.response(200, QueuePageSchema)
def read_queue(args):
    """The handoffs across every engaged client, 50 a page."""
    ident = identity()
    filters = queue.QueueFilters(**{k: v for k, v in args.items() if v is not None})
    page = queue.read_queue(
        dbs(), ident.organisation, None, filters, with_due_today=False, last_read=True
    )
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
    """One handed-off requirement, readiness judged on its current snapshot."""
    req = review.get_for_provider(dbs(), _org_id(), requirement_id)
    return represent(dbs(), req, provider_view=True)


@blp.post("/queue/<uuid:requirement_id>/accept")
@token_required(kind="provider", permission="requirement.review")
@blp.arguments(AcceptInputSchema)
@blp.response(200, RequirementOutputSchema)
def accept_requirement(data, requirement_id: uuid.UUID):
    """Accept the handoff; refused while hard failures remain."""
    req = review.accept(dbs(), _org_id(), None, requirement_id, data.get("comment"))
    return represent(dbs(), req, provider_view=True)


@blp.post("/queue/<uuid:requirement_id>/return")
@token_required(kind="provider", permission="requirement.review")
@blp.arguments(ReturnInputSchema)
@blp.response(200, RequirementOutputSchema)
def return_requirement(data, requirement_id: uuid.UUID):
    """Return the handoff to the client with reasons."""
    req = review.return_requirement(
        dbs(), _org_id(), None, requirement_id, data["reasons"], data.get("comment")
    )
    return represent(dbs(), req, provider_view=True)
