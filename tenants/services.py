"""Rules for organisations, people, engagements and API tokens.

Services never read the request: callers pass the acting organisation and
user. Every change writes an audit event in the same transaction.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager, joinedload

from baton.platform import audit
from baton.platform.db import utcnow
from baton.platform.errors import Conflict, NotFound, ValidationFailed
from baton.platform.outbox import emit
from baton.platform.passwords import hash_password, password_problem, verify_password
from baton.platform.signing import hash_api_token, new_api_token
from baton.platform.tenancy import TenantContext, client_context, provider_context
from baton.tenants.models import (
    ORG_KINDS,
    ApiToken,
    Engagement,
    Invitation,
    LoginFailure,
    Membership,
    Organisation,
    User,
    roles_for,
)
from baton.tenants.states import ENGAGEMENT

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
INVITATION_DAYS = 7
THROTTLE_WINDOW = timedelta(minutes=15)
RESET_EMAIL_INTERVAL = timedelta(minutes=5)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20

ORG_FIELDS = ("name", "slug", "kind", "code", "timezone", "is_active")
ENGAGEMENT_FIELDS = ("client_id", "provider_id", "status", "starts_on", "ends_on")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _check_email(email: str, field: str = "email") -> str:
    email = normalise_email(email)
    if not EMAIL_RE.match(email):
        raise ValidationFailed({field: "Enter a valid email address, like name@example.com."})
    return email


# --- organisations and context -------------------------------------------------


def create_organisation(
    session: Session,
    *,
    name: str,
    kind: str,
    code: str,
    slug: str | None = None,
    timezone: str = "UTC",
) -> Organisation:
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "Name is required."
    if kind not in ORG_KINDS:
        errors["kind"] = "Kind must be 'client' or 'provider'."
    code = (code or "").strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{2,12}", code):
        errors["code"] = "Code must be 2 to 12 letters or digits, e.g. ACME."
    slug = slug or re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if errors:
        raise ValidationFailed(errors)
    if session.scalar(sa.select(Organisation.id).where(Organisation.slug == slug)):
        raise ValidationFailed({"name": f"An organisation called {name!r} already exists."})
    org = Organisation(
        id=uuid.uuid4(), name=name, kind=kind, code=code, slug=slug, timezone=timezone
    )
    session.add(org)
    session.flush()
    audit.record(
        session,
        tenant_id=org.id,
        action="organisation.created",
        entity_type="organisation",
        entity_id=org.id,
        changes=audit.diff({}, audit.snapshot(org, ORG_FIELDS)),
    )
    return org


def engaged_client_ids(session: Session, provider_id: uuid.UUID) -> set[uuid.UUID]:
    return set(
        session.scalars(
            sa.select(Engagement.client_id).where(
                Engagement.provider_id == provider_id, Engagement.status == "active"
            )
        )
    )


def context_for(
    session: Session, org: Organisation, user_id: uuid.UUID | None = None
) -> TenantContext:
    if org.kind == "client":
        return client_context(org.id, user_id)
    return provider_context(org.id, engaged_client_ids(session, org.id), user_id)


def get_organisation(session: Session, org_id: uuid.UUID) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("organisation")
    return org


# --- users and memberships -------------------------------------------------------


def create_user(
    session: Session, *, email: str, name: str, password: str | None = None, operator: bool = False
) -> User:
    email = _check_email(email)
    errors = {}
    if not (name or "").strip():
        errors["name"] = "Name is required."
    if password is not None and (problem := password_problem(password)):
        errors["password"] = problem
    if errors:
        raise ValidationFailed(errors)
    if session.scalar(sa.select(User.id).where(User.email == email)):
        raise ValidationFailed({"email": f"A user with email {email} already exists."})
    user = User(
        id=uuid.uuid4(),
        email=email,
        name=name.strip(),
        password_hash=hash_password(password) if password else None,
        is_operator=operator,
    )
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def user_names(session: Session, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """Display names for the people a page mentions, in one query."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(session.execute(sa.select(User.id, User.name).where(User.id.in_(wanted))).all())


def member_emails(session: Session, org_id: uuid.UUID, roles: Iterable[str]) -> list[str]:
    """Addresses of the organisation's active members in ``roles``."""
    return sorted(
        set(
            session.scalars(
                sa.select(User.email)
                .join(Membership, Membership.user_id == User.id)
                .where(
                    Membership.organisation_id == org_id,
                    Membership.role.in_(list(roles)),
                    Membership.is_active.is_(True),
                    User.is_active.is_(True),
                )
            )
        )
    )


def user_emails(session: Session, user_ids: Iterable[uuid.UUID]) -> list[str]:
    """Addresses of the active users among these."""
    ids = list(user_ids)
    if not ids:
        return []
    return sorted(
        set(session.scalars(sa.select(User.email).where(User.id.in_(ids), User.is_active)))
    )


def organisation_names(session: Session, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.execute(
        sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted))
    )
    return dict(rows.all())


def add_member(session: Session, org: Organisation, user: User, role: str) -> Membership:
    if role not in roles_for(org.kind):
        raise ValidationFailed({"role": f"Role must be one of {', '.join(roles_for(org.kind))}."})
    existing = session.scalar(
        sa.select(Membership).where(
            Membership.user_id == user.id, Membership.organisation_id == org.id
        )
    )
    if existing is not None:
        before = audit.snapshot(existing, ("role", "is_active"))
        existing.role, existing.is_active = role, True
        membership = existing
    else:
        before = {}
        membership = Membership(id=uuid.uuid4(), user_id=user.id, organisation_id=org.id, role=role)
        session.add(membership)
    session.flush()
    audit.record(
        session,
        tenant_id=org.id,
        action="membership.added",
        entity_type="membership",
        entity_id=membership.id,
        changes=audit.diff(before, {"user": user.email, "role": role, "is_active": True}),
    )
    return membership


def active_memberships(session: Session, user_id: uuid.UUID) -> list[Membership]:
    return list(
        session.scalars(
            sa.select(Membership)
            .join(Organisation)
            .where(
                Membership.user_id == user_id,
                Membership.is_active.is_(True),
                Organisation.is_active.is_(True),
            )
            .order_by(Organisation.name)
        )
    )


def list_members(session: Session, org_id: uuid.UUID) -> list[Membership]:
    return list(
        session.scalars(
            sa.select(Membership)
            .join(User)
            .options(contains_eager(Membership.user))
            .where(Membership.organisation_id == org_id)
            .order_by(Membership.is_active.desc(), User.name)
        )
    )


def get_membership(session: Session, org_id: uuid.UUID, membership_id: uuid.UUID) -> Membership:
    membership = session.scalar(
        sa.select(Membership).where(
            Membership.id == membership_id, Membership.organisation_id == org_id
        )
    )
    if membership is None:
        raise NotFound("membership")
    return membership


def _active_admins(session: Session, org_id: uuid.UUID) -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(Membership)
        .where(
            Membership.organisation_id == org_id,
            Membership.role == "admin",
            Membership.is_active.is_(True),
        )
    )


def change_role(
    session: Session, org: Organisation, membership_id: uuid.UUID, role: str
) -> Membership:
    membership = get_membership(session, org.id, membership_id)
    if role not in roles_for(org.kind):
        raise ValidationFailed({"role": f"Role must be one of {', '.join(roles_for(org.kind))}."})
    if membership.role == role:
        return membership
    if membership.role == "admin" and membership.is_active and _active_admins(session, org.id) <= 1:
        raise ValidationFailed({"role": "An organisation needs at least one active admin."})
    before = {"role": membership.role}
    membership.role = role
    audit.record(
        session,
        tenant_id=org.id,
        action="membership.role_changed",
        entity_type="membership",
        entity_id=membership.id,
        changes=audit.diff(before, {"role": role}),
    )
    return membership


def set_member_active(
    session: Session, org: Organisation, membership_id: uuid.UUID, active: bool
) -> Membership:
    membership = get_membership(session, org.id, membership_id)
    if membership.is_active == active:
        return membership
    if not active and membership.role == "admin" and _active_admins(session, org.id) <= 1:
        raise ValidationFailed({"is_active": "You cannot deactivate the last active admin."})
    before = {"is_active": membership.is_active}
    membership.is_active = active
    audit.record(
        session,
        tenant_id=org.id,
        action="membership.reactivated" if active else "membership.deactivated",
        entity_type="membership",
        entity_id=membership.id,
        changes=audit.diff(before, {"is_active": active}),
    )
    return membership


# --- invitations -------------------------------------------------------------------


def invite(
    session: Session, org: Organisation, *, email: str, role: str, inviter: User | None
) -> Invitation:
    email = _check_email(email)
    if role not in roles_for(org.kind):
        raise ValidationFailed({"role": f"Role must be one of {', '.join(roles_for(org.kind))}."})
    existing_user = find_user(session, email)
    if existing_user is not None and session.scalar(
        sa.select(Membership.id).where(
            Membership.user_id == existing_user.id,
            Membership.organisation_id == org.id,
            Membership.is_active.is_(True),
        )
    ):
        raise ValidationFailed({"email": f"{email} is already a member of {org.name}."})
    invitation = Invitation(
        id=uuid.uuid4(),
        organisation_id=org.id,
        email=email,
        role=role,
        invited_by_id=inviter.id if inviter else None,
        expires_at=utcnow() + timedelta(days=INVITATION_DAYS),
    )
    session.add(invitation)
    session.flush()
    audit.record(
        session,
        tenant_id=org.id,
        action="invitation.sent",
        entity_type="invitation",
        entity_id=invitation.id,
        changes=audit.diff({}, {"email": email, "role": role}),
    )
    emit(
        session, "tenants.send_invitation", {"invitation_id": str(invitation.id)}, tenant_id=org.id
    )
    return invitation


def list_open_invitations(session: Session, org_id: uuid.UUID) -> list[Invitation]:
    return list(
        session.scalars(
            sa.select(Invitation)
            .where(
                Invitation.organisation_id == org_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.created_at.desc())
        )
    )


def revoke_invitation(session: Session, org: Organisation, invitation_id: uuid.UUID) -> Invitation:
    invitation = session.scalar(
        sa.select(Invitation).where(
            Invitation.id == invitation_id, Invitation.organisation_id == org.id
        )
    )
    if invitation is None or invitation.accepted_at is not None:
        raise NotFound("invitation")
    invitation.revoked_at = utcnow()
    audit.record(
        session,
        tenant_id=org.id,
        action="invitation.revoked",
        entity_type="invitation",
        entity_id=invitation.id,
        changes={"revoked_at": [None, audit.jsonable(invitation.revoked_at)]},
    )
    return invitation


def usable_invitation(session: Session, invitation_id: uuid.UUID) -> Invitation:
    """The invitation behind a link, or a clear reason why it cannot be used."""
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.revoked_at is not None:
        raise ValidationFailed(
            {"token": "This invitation is no longer valid. Ask your admin for a new one."}
        )
    if invitation.accepted_at is not None:
        raise ValidationFailed({"token": "This invitation has already been used. Sign in instead."})
    if invitation.expires_at <= utcnow():
        raise ValidationFailed(
            {"token": "This invitation has expired. Ask your admin for a new one."}
        )
    return invitation


def accept_invitation(
    session: Session, invitation: Invitation, *, name: str, password: str
) -> tuple[User, Membership]:
    """Join the organisation; a new person also sets their name and password."""
    user = find_user(session, invitation.email)
    if user is None:
        user = create_user(session, email=invitation.email, name=name, password=password)
    elif user.password_hash is None:
        if problem := password_problem(password):
            raise ValidationFailed({"password": problem})
        user.password_hash = hash_password(password)
    elif not verify_password(user.password_hash, password):
        raise ValidationFailed({"password": "Enter your existing Baton password to join."})
    invitation.accepted_at = utcnow()
    membership = add_member(session, invitation.organisation, user, invitation.role)
    return user, membership


# --- authentication ------------------------------------------------------------------


class ThrottledError(ValidationFailed):
    status = 429


def throttle_problem(session: Session, email: str, address: str) -> str | None:
    since = utcnow() - THROTTLE_WINDOW
    by_account = session.scalar(
        sa.select(sa.func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.email == normalise_email(email), LoginFailure.created_at > since)
    )
    by_address = session.scalar(
        sa.select(sa.func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.address == address, LoginFailure.created_at > since)
    )
    if by_account >= MAX_FAILURES_PER_ACCOUNT or by_address >= MAX_FAILURES_PER_ADDRESS:
        minutes = int(THROTTLE_WINDOW.total_seconds() // 60)
        return f"Too many failed sign-in attempts. Wait {minutes} minutes, or reset your password."
    return None


def authenticate(session: Session, email: str, password: str, address: str) -> User:
    """The user, or ValidationFailed with the same message for any wrong detail."""
    if problem := throttle_problem(session, email, address):
        raise ThrottledError({"_form": problem})
    user = find_user(session, email)
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None or not user.is_active:
        raise ValidationFailed({"_form": "Email or password is not correct."})
    if not active_memberships(session, user.id) and not user.is_operator:
        raise ValidationFailed(
            {"_form": "Your account has no active organisation. Ask your admin."}
        )
    session.execute(sa.delete(LoginFailure).where(LoginFailure.email == user.email))
    user.last_login_at = utcnow()
    return user


def record_login_failure(session: Session, email: str, address: str) -> None:
    session.add(
        LoginFailure(id=uuid.uuid4(), email=normalise_email(email)[:254], address=address[:64])
    )


def request_password_reset(session: Session, email: str) -> None:
    """Always succeeds from the caller's view, so it does not reveal accounts."""
    user = find_user(session, email)
    if user is None or not user.is_active:
        return
    now = utcnow()
    if user.password_reset_sent_at and now - user.password_reset_sent_at < RESET_EMAIL_INTERVAL:
        return
    user.password_reset_sent_at = now
    emit(session, "tenants.send_password_reset", {"user_id": str(user.id)})


def reset_fingerprint(user: User) -> str:
    """Changes when the password changes, so a reset link works once. A digest
    of the stored hash, so the link in a mailbox carries no part of it."""
    return hashlib.sha256((user.password_hash or "none").encode()).hexdigest()[:16]


def reset_user(session: Session, user_id: uuid.UUID, fingerprint: str) -> User:
    """The user a reset link is for, or a clear reason why it cannot be used."""
    user = session.get(User, user_id)
    if user is None or not user.is_active or reset_fingerprint(user) != fingerprint:
        raise ValidationFailed(
            {"token": "This reset link has already been used. Ask for a new one."}
        )
    return user


def reset_password(session: Session, user_id: uuid.UUID, fingerprint: str, password: str) -> User:
    user = reset_user(session, user_id, fingerprint)
    if problem := password_problem(password):
        raise ValidationFailed({"password": problem})
    user.password_hash = hash_password(password)
    session.execute(sa.delete(LoginFailure).where(LoginFailure.email == user.email))
    return user


# --- engagements -----------------------------------------------------------------------


def create_engagement(
    session: Session, *, client: Organisation, provider: Organisation, starts_on: date | None = None
) -> Engagement:
    errors = {}
    if client.kind != "client":
        errors["client"] = f"{client.name} is not a client organisation."
    if provider.kind != "provider":
        errors["provider"] = f"{provider.name} is not a provider organisation."
    if errors:
        raise ValidationFailed(errors)
    existing = session.scalar(
        sa.select(Engagement).where(
            Engagement.client_id == client.id, Engagement.provider_id == provider.id
        )
    )
    if existing is not None:
        raise Conflict(f"{provider.name} is already engaged by {client.name}.")
    engagement = Engagement(
        id=uuid.uuid4(),
        client_id=client.id,
        provider_id=provider.id,
        status="active",
        starts_on=starts_on or utcnow().date(),
    )
    session.add(engagement)
    session.flush()
    audit.record(
        session,
        tenant_id=client.id,
        provider_id=provider.id,
        action="engagement.created",
        entity_type="engagement",
        entity_id=engagement.id,
        changes=audit.diff({}, audit.snapshot(engagement, ENGAGEMENT_FIELDS)),
    )
    return engagement


def set_engagement_status(session: Session, engagement: Engagement, status: str) -> Engagement:
    """Move the engagement to ``status`` through its machine (checked, audited)."""
    if status not in ENGAGEMENT.labels:
        raise ValidationFailed({"status": f"Status must be one of {', '.join(ENGAGEMENT.states)}."})
    if engagement.status == status:
        return engagement
    before_end = engagement.ends_on
    if status == "ended" and engagement.ends_on is None:
        engagement.ends_on = utcnow().date()
    ENGAGEMENT.apply(
        session,
        engagement,
        status,
        changes={"ends_on": [audit.jsonable(before_end), audit.jsonable(engagement.ends_on)]}
        if engagement.ends_on != before_end
        else None,
        audit_tenant_id=engagement.client_id,
    )
    return engagement


def engagements_of(session: Session, org: Organisation) -> list[Engagement]:
    column = Engagement.client_id if org.kind == "client" else Engagement.provider_id
    return list(
        session.scalars(
            sa.select(Engagement)
            .options(joinedload(Engagement.client), joinedload(Engagement.provider))
            .where(column == org.id)
            .order_by(Engagement.created_at)
        )
    )


def find_engagement(session: Session, client_id: uuid.UUID, provider_id: uuid.UUID) -> Engagement:
    engagement = session.scalar(
        sa.select(Engagement).where(
            Engagement.client_id == client_id, Engagement.provider_id == provider_id
        )
    )
    if engagement is None:
        raise NotFound("engagement")
    return engagement


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


def revoke_api_token(session: Session, org: Organisation, token_id: uuid.UUID) -> ApiToken:
    row = session.scalar(
        sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.organisation_id == org.id)
    )
    if row is None:
        raise NotFound("api token")
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
    row = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_api_token(token)))
    if row is None or row.revoked_at is not None or not row.organisation.is_active:
        return None
    now = utcnow()
    # Written at most once a minute so busy integrations do not rewrite the row per call.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
    return row


def recent_audit(session: Session, org_id: uuid.UUID, limit: int = 100) -> list[audit.AuditEvent]:
    return list(
        session.scalars(
            sa.select(audit.AuditEvent)
            .where(audit.AuditEvent.tenant_id == org_id)
            .order_by(audit.AuditEvent.seq.desc())
            .limit(limit)
        )
    )
