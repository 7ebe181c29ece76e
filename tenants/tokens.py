"""API tokens (scoped to one organisation, hashed, shown once) and the audit log read."""

from __future__ import annotations

import functools
import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload

from baton.platform import audit, planner
from baton.platform.db import mark_applied, utcnow
from baton.platform.engine import PREPARED
from baton.platform.errors import NotFound, ValidationFailed
from baton.platform.signing import hash_api_token, new_api_token
from baton.platform.tenancy import CLIENT, ENGAGED, PROVIDER, TenantContext
from baton.tenants.models import (
    ApiToken,
    Membership,
    Organisation,
    User,
    roles_for,
)
from baton.tenants.organisations import context_for

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


def _valid_token(token_hash) -> list:
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
    return [
        ApiToken.token_hash == token_hash,
        sa.or_(ApiToken.created_by_id.is_(None), creator_active),
    ]


def _touch(row: ApiToken) -> None:
    now = utcnow()
    # Written at most once a minute so busy integrations do not rewrite the row per call.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now


def token_owner(session: Session, token: str) -> ApiToken | None:
    row = session.scalar(
        sa.select(ApiToken)
        .options(joinedload(ApiToken.organisation))
        .where(*_valid_token(hash_api_token(token)))
    )
    if row is None or row.revoked_at is not None or not row.organisation.is_active:
        return None
    _touch(row)
    return row


_VISIBILITY = sa.table("provider_visibility", sa.column("provider_id"), sa.column("tenant_ids"))


@functools.lru_cache(maxsize=512)
def _tenant_ids(literal: str) -> frozenset[uuid.UUID]:
    """A provider's 201 ids from their array literal: the same literal comes
    back on every call until an engagement changes, and building the UUIDs
    cost 0.4 ms a request."""
    return frozenset(uuid.UUID(t) for t in literal[1:-1].split(","))


@functools.cache
def _token_with_settings(sorting_off: bool = False) -> sa.Select:
    """Built once (twice, with ``sorting_off``): the statement is the same for
    every call but the token's hash, and building it costs more than a
    millisecond of Python per request."""
    org = aliased(Organisation, name="token_org")
    org_text = sa.cast(org.id, sa.Text)
    # As tenants.organisations.context_for: a client sees itself, a provider
    # itself and the clients actively engaging it, the set PostgreSQL keeps in
    # provider_visibility (platform/rls.py). The settings name that set; the
    # ids come back only for the context in Python.
    client = org.kind == "client"
    engaged = (
        sa.select(sa.cast(_VISIBILITY.c.tenant_ids, sa.Text))
        .where(_VISIBILITY.c.provider_id == org.id)
        .scalar_subquery()
    )
    own = sa.literal("{") + org_text + sa.literal("}")
    visible = sa.case((client, own), else_=sa.func.coalesce(engaged, own))
    setting = sa.case((client, own), else_=sa.literal(ENGAGED))
    kind = sa.case((client, sa.literal(CLIENT)), else_=sa.literal(PROVIDER))
    settings = [
        sa.func.set_config("baton.org_id", org_text, True),
        sa.func.set_config("baton.org_kind", kind, True),
        sa.func.set_config("baton.tenant_ids", setting, True),
        sa.func.set_config("baton.user_id", "", True),
    ]
    if sorting_off:
        # For a request that reads a page in an index's order next and nothing
        # after it (platform/planner.py): its setting rides on this statement.
        settings.append(sa.literal_column(planner.SORTING_OFF))
    return (
        sa.select(ApiToken, org, visible, *settings)
        .join(org, org.id == ApiToken.organisation_id)
        .options(contains_eager(ApiToken.organisation.of_type(org)))
        .where(
            *_valid_token(sa.bindparam("token_hash", type_=sa.String)),
            ApiToken.revoked_at.is_(None),
            org.is_active.is_(True),
        )
        # It reads directory tables only (tokens, organisations, the
        # visibility row), which no tenant criteria apply to; unscoped, the
        # statement stays this one object, and SQLAlchemy keeps its cache
        # key instead of computing it again for a scoped copy each request.
        .execution_options(**PREPARED, skip_tenant_scope=True)
    )


def token_with_context(session: Session, token: str) -> tuple[ApiToken, TenantContext] | None:
    """The token, its organisation and the tenants it may see, with the
    transaction's row-level-security settings applied, in one round trip.

    An API call's first statement: on PostgreSQL the settings are written by
    the same SELECT that finds the token (``set_config`` in its column list,
    evaluated only for the row that passed every check, so a revoked token
    or an inactive organisation sets nothing). Elsewhere, three statements."""
    if session.get_bind().dialect.name != "postgresql":
        row = token_owner(session, token)
        return (row, context_for(session, row.organisation)) if row is not None else None
    sorting_off = planner.sorting_off_first(session)
    statement = _token_with_settings(sorting_off)
    found = session.execute(statement, {"token_hash": hash_api_token(token)}).first()
    if found is None:
        return None
    row, _, tenant_ids, _, org_kind = found[:5]
    if sorting_off:
        planner.mark_sorting_off(session)
    ctx = TenantContext(
        row.organisation_id, org_kind, _tenant_ids(tenant_ids), None, engaged=org_kind == PROVIDER
    )
    mark_applied(session, ctx)
    _touch(row)
    return row, ctx


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
