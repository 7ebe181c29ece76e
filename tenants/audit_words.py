"""How the tenants area's things read in an audit log (see ``platform.audit_text``)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.audit_text import Keys, ids_of, names_by_id
from baton.tenants.models import ApiToken, Engagement, Invitation, Membership, Organisation, User


def _people(session: Session, keys: Keys) -> dict:
    rows = session.execute(sa.select(User.id, User.name).where(User.id.in_(ids_of(keys))))
    return names_by_id(keys, ((i, None, name) for i, name in rows))


def _organisations(session: Session, keys: Keys) -> dict:
    rows = session.execute(
        sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids_of(keys)))
    )
    return names_by_id(keys, ((i, None, name) for i, name in rows))


def _memberships(session: Session, keys: Keys) -> dict:
    rows = session.execute(
        sa.select(Membership.id, Membership.organisation_id, User.name)
        .join(User, User.id == Membership.user_id)
        .where(Membership.id.in_(ids_of(keys)))
    )
    return names_by_id(keys, rows)


def _tokens(session: Session, keys: Keys) -> dict:
    rows = session.execute(
        sa.select(ApiToken.id, ApiToken.organisation_id, ApiToken.name).where(
            ApiToken.id.in_(ids_of(keys))
        )
    )
    return names_by_id(keys, rows)


def _invitations(session: Session, keys: Keys) -> dict:
    rows = session.execute(
        sa.select(Invitation.id, Invitation.organisation_id, Invitation.email).where(
            Invitation.id.in_(ids_of(keys))
        )
    )
    return names_by_id(keys, rows)


def _engagements(session: Session, keys: Keys) -> dict:
    client = sa.orm.aliased(Organisation)
    provider = sa.orm.aliased(Organisation)
    rows = session.execute(
        sa.select(
            Engagement.id, Engagement.client_id, Engagement.provider_id, client.name, provider.name
        )
        .join(client, client.id == Engagement.client_id)
        .join(provider, provider.id == Engagement.provider_id)
        .where(Engagement.id.in_(ids_of(keys)))
    ).all()
    out = {}
    for tenant, value in keys:
        for i, client_id, provider_id, client_name, provider_name in rows:
            if str(i) == value and tenant in (client_id, provider_id):
                out[(tenant, value)] = f"{client_name} → {provider_name}"
    return out


NAMES = {
    "user": _people,
    "organisation": _organisations,
    "membership": _memberships,
    "api_token": _tokens,
    "invitation": _invitations,
    "engagement": _engagements,
}
FIELDS = {
    "user_id": "user",
    "created_by_id": "user",
    "invited_by_id": "user",
    "reviewer_id": "user",
    "assigned_buyer_id": "user",
    "client_id": "organisation",
    "provider_id": "organisation",
}
ACTIONS = {
    "membership.added": "Member added",
    "membership.deactivated": "Member deactivated",
    "membership.reactivated": "Member reactivated",
    "membership.role_changed": "Member's role changed",
    "engagement.settings_changed": "Engagement calendar or chasers changed",
}
