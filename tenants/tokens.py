"""API tokens (scoped to one organisation, hashed, shown once) and the audit log read."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from baton.platform import audit
from baton.platform.db import utcnow
from baton.platform.errors import NotFound, ValidationFailed
from baton.platform.signing import hash_api_token, new_api_token
from baton.tenants.models import (
    ApiToken,
    Membership,
    Organisation,
    User,
    roles_for,
)

# --- API tokens ---------------------------------------------------------------------------


def create_api_token(
    session: Session, org: Organisation, *, name: str, role: str, created_by: User | None
) -> tuple[str, ApiToken]:
    """Returns the token text, which is shown once and never stored."""
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = "Give the token a name, e.g. the system that will use it."
    elif len(name) > 100:
        errors["name"] = "Name must be at most 100 characters."
    if role not in roles_for(org.kind):
        errors["role"] = f"Role must be one of {', '.join(roles_for(org.kind))}."
    if errors:
        raise ValidationFailed(errors)
    token, prefix, digest = new_api_token()
    row = ApiToken(
        id=uuid.uuid4(),
        organisation_id=org.id,
        created_by_id=created_by.id if created_by else None,
        name=name,
        role=role,
        prefix=prefix,
        token_hash=digest,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        tenant_id=org.id,
        action="api_token.created",
        entity_type="api_token",
        entity_id=row.id,
        changes=audit.diff({}, {"name": name, "role": role, "prefix": prefix}),
    )
    return token, row


def list_api_tokens(session: Session, org_id: uuid.UUID) -> list[ApiToken]:
    return list(
        session.scalars(
            sa.select(ApiToken)
            .options(joinedload(ApiToken.created_by))
            .where(ApiToken.organisation_id == org_id)
            .order_by(ApiToken.created_at.desc())
        )
    )


def get_api_token(session: Session, org: Organisation, token_id: uuid.UUID) -> ApiToken:
    row = session.scalar(
        sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.organisation_id == org.id)
    )
    if row is None:
        raise NotFound("api token")
    return row


def revoke_api_token(session: Session, org: Organisation, token_id: uuid.UUID) -> ApiToken:
    row = get_api_token(session, org, token_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(
            session,
            tenant_id=org.id,
            action="api_token.revoked",
            entity_type="api_token",
            entity_id=row.id,
            changes={"revoked_at": [None, audit.jsonable(row.revoked_at)]},
        )
    return row


def token_owner(session: Session, token: str) -> ApiToken | None:
    # A token acts with its creator's say-so: once the creator is no longer an
    # active member (or no longer active at all), their tokens stop working.
    creator_active = (
        sa.select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.user_id == ApiToken.created_by_id,
            Membership.organisation_id == ApiToken.organisation_id,
            Membership.is_active.is_(True),
            User.is_active.is_(True),
        )
        .exists()
    )
    row = session.scalar(
        sa.select(ApiToken)
        .options(joinedload(ApiToken.organisation))
        .where(
            ApiToken.token_hash == hash_api_token(token),
            sa.or_(ApiToken.created_by_id.is_(None), creator_active),
        )
    )
    if row is None or row.revoked_at is not None or not row.organisation.is_active:
        return None
    now = utcnow()
    # Written at most once a minute so busy integrations do not rewrite the row per call.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
    return row


def recent_audit(session: Session, org_id: uuid.UUID, limit: int = 100) -> list[audit.AuditEvent]:
    """The organisation's own chain and, for a provider, the events its people
    wrote into its clients' chains (claims, reviews, decisions), newest first.
    The session's scoping keeps a former client's events out."""
    event = audit.AuditEvent
    return list(
        session.scalars(
            sa.select(event)
            .where(sa.or_(event.tenant_id == org_id, event.provider_id == org_id))
            .order_by(event.created_at.desc(), event.seq.desc())
            .limit(limit)
        )
    )
