"""Requirements for integrations: a client ERP creates and submits them and
reads their status and readiness.

Bad input answers 422 with ``errors`` keyed by field path
(``lines[2].quantity``) and changes nothing: the request's one transaction
is rolled back.
"""

from __future__ import annotations

import uuid

from baton.platform.api import ApiBlueprint, token_required
from baton.platform.auth import identity
from baton.platform.web import dbs
from baton.sourcing.requirements import services
from baton.sourcing.requirements.presenters import represent as _represent
from baton.sourcing.requirements.schemas import (
    DraftInputSchema,
    DraftPatchSchema,
    ReadinessSchema,
    RequirementOutputSchema,
    RequirementPageSchema,
    RequirementQuerySchema,
    SubmitInputSchema,
)

blp = ApiBlueprint(
    "api_requirements",
    __name__,
    description="The client's requirements and their handoff",
    ids={"requirement_id": "the requirement's id, from GET /api/v1/requirements"},
)


def _org_id() -> uuid.UUID:
    return identity().organisation.id


@blp.get("/requirements")
@token_required(kind="client")
@blp.arguments(RequirementQuerySchema, location="query")
@blp.response(200, RequirementPageSchema)
def list_requirements(args):
    """The client's requirements, newest change first, 50 a page."""
    rows, more = services.list_for_client(
        dbs(), _org_id(), status=args["status"], q=args["q"], page=args["page"]
    )
    return {"page": args["page"], "has_next": more, "items": [represent(r) for r in rows]}


@blp.post("/requirements")
@token_required(kind="client", permission="requirement.write")
@blp.arguments(DraftInputSchema)
@blp.response(201, RequirementOutputSchema)
def create_requirement(data):
    """Create a draft with its lines."""
    req = services.save_draft(dbs(), _org_id(), None, data)
    return represent(req)


@blp.get("/requirements/<uuid:requirement_id>")
@token_required(kind="client")
@blp.response(200, RequirementOutputSchema)
def get_requirement(requirement_id: uuid.UUID):
    """One requirement: header, lines, snapshot and readiness."""
    return represent(services.get_for_client(dbs(), _org_id(), requirement_id))


@blp.patch("/requirements/<uuid:requirement_id>")
@token_required(kind="client", permission="requirement.write")
@blp.arguments(DraftPatchSchema)
@blp.response(200, RequirementOutputSchema)
def update_requirement(data, requirement_id: uuid.UUID):
    """Change a draft or returned requirement: only the fields sent."""
    session = dbs()
    req = services.get_for_client(session, _org_id(), requirement_id)
    merged = services.input_of(req) | data
    req = services.save_draft(session, _org_id(), None, merged, requirement_id)
    return represent(req)


@blp.post("/requirements/<uuid:requirement_id>/submit")
@token_required(kind="client", permission="requirement.write")
@blp.arguments(SubmitInputSchema, required=False)
@blp.response(200, RequirementOutputSchema)
def submit_requirement(args, requirement_id: uuid.UUID):
    """Hand the requirement off. Refused with 422 while a hard readiness failure
    remains (the errors name each field); warnings need ``accept_warnings``."""
    req = services.submit(
        dbs(), _org_id(), None, requirement_id, accept_warnings=args["accept_warnings"]
    )
    return represent(req)


@blp.get("/requirements/<uuid:requirement_id>/readiness")
@token_required(kind="client")
@blp.response(200, ReadinessSchema)
def requirement_readiness(requirement_id: uuid.UUID):
    """The readiness check: hard failures, warnings and each finding."""
    req = services.get_for_client(dbs(), _org_id(), requirement_id)
    return represent(req)["readiness"]


def represent(req) -> dict:
    return _represent(dbs(), req)
