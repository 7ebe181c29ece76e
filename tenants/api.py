"""Who am I, my engagements and my members, for integrations."""

from __future__ import annotations

from flask_smorest import Blueprint

from baton.platform.api import token_required
from baton.platform.auth import identity
from baton.platform.web import dbs
from baton.tenants import services
from baton.tenants.schemas import EngagementSchema, MemberSchema, MeSchema

blp = Blueprint("api_tenants", __name__, description="The calling organisation")


@blp.get("/me")
@token_required()
@blp.response(200, MeSchema)
def me():
    ident = identity()
    return {"organisation": ident.organisation, "role": ident.role, "token": ident.actor.label}


@blp.get("/engagements")
@token_required()
@blp.response(200, EngagementSchema(many=True))
def engagements():
    return services.engagements_of(dbs(), identity().organisation)


@blp.get("/members")
@token_required(permission="members.manage")
@blp.response(200, MemberSchema(many=True))
def members():
    return services.list_members(dbs(), identity().organisation.id)
