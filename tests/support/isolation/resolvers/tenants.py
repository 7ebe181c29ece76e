"""Resolvers for rows of baton.tenants: organisations, people, memberships,
engagements, invitations, API tokens."""

from __future__ import annotations

import uuid
from datetime import timedelta

from baton.platform.db import utcnow
from tests.support.isolation.victim import Victim, parameter


@parameter("membership_id")
def _membership(v: Victim) -> uuid.UUID:
    # Not the admin: the last-admin guard must not be what stops a leak.
    return v.world.memberships[f"{v.key}_sourcing"]


@parameter("user_id")
def _user(v: Victim) -> uuid.UUID:
    from baton.tenants.models import Membership

    return v.session.get(Membership, v.world.memberships[f"{v.key}_sourcing"]).user_id


@parameter("org_id", "organisation_id", "client_id", "tenant_id")
def _organisation(v: Victim) -> uuid.UUID:
    return v.org_id


@parameter("engagement_id")
def _engagement(v: Victim) -> uuid.UUID:
    return v.world.engagements[f"{v.key}-{v.provider_key}"]


@parameter("invitation_id")
def _invitation(v: Victim) -> uuid.UUID:
    from baton.tenants.models import Invitation

    # A row, not services.invite: that would leave an outbox message for some
    # other test's relay to send.
    invitation = Invitation(
        id=uuid.uuid4(),
        organisation_id=v.org_id,
        email=f"invitee.{v.tag}@example.com",
        role="sourcing",
        expires_at=utcnow() + timedelta(days=7),
    )
    v.session.add(invitation)
    v.session.flush()
    v.mark(invitation.email)
    return invitation.id


@parameter("token_id", "api_token_id")
def _api_token(v: Victim) -> uuid.UUID:
    from baton.tenants import services

    client = services.get_organisation(v.session, v.org_id)
    _text, row = services.create_api_token(
        v.session, client, name=f"ERP link {v.tag}", role="admin", created_by=None
    )
    v.mark(row.prefix)
    return row.id
