"""Who am I, my engagements and my members, for integrations."""

from __future__ import annotations

from flask_smorest import Blueprint

from baton.platform.api import PageQuerySchema, page_of, page_schema, token_required
from baton.platform.auth import identity
from baton.platform.web import dbs
from baton.tenants import services
from baton.tenants.schemas import EngagementSchema, MemberSchema, MeSchema

EngagementPageSchema = page_schema(EngagementSchema, "EngagementPage")
MemberPageSchema = page_schema(MemberSchema, "MemberPage")

blp = Blueprint("api_tenants", __name__, description="The calling organisation")


@blp.get("/me")
@token_required()
@blp.response(200, MeSchema)
def me():
    """The token's organisation, its role and its label."""
    ident = identity()
    return {"organisation": ident.organisation, "role": ident.role, "token": ident.actor.label}


@blp.get("/engagements")
@token_required()
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, EngagementPageSchema)
def engagements(args):
    """The organisation's engagements, oldest first, 50 a page."""
    return page_of(services.engagements_of(dbs(), identity().organisation), args["page"])


@blp.get("/members")
@token_required(permission="members.manage")
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, MemberPageSchema)
def members(args):
    """The organisation's members, active first, by name, 50 a page."""
    return page_of(services.list_members(dbs(), identity().organisation.id), args["page"])
