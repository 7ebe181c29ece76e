"""Invitations: a signed, single-use link to join an organisation."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform import audit
from baton.platform.db import utcnow
from baton.platform.errors import NotFound, ValidationFailed
from baton.platform.outbox import emit
from baton.platform.passwords import hash_password, password_problem, verify_password
from baton.tenants.models import (
    Invitation,
    Membership,
    Organisation,
    User,
    roles_for,
)
from baton.tenants.organisations import _check_email
from baton.tenants.people import add_member, create_user, find_user

INVITATION_DAYS = 7


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


class PasswordRefused(ValidationFailed):
    """The existing account's password was wrong: a failed sign-in, counted."""


def accept_invitation(
    session: Session, invitation: Invitation, *, name: str, password: str, address: str = ""
) -> tuple[User, Membership]:
    """Join the organisation; a new person also sets their name and password. For
    an existing account the password is checked as a sign-in is: under the same
    per-account and per-address throttle, each failure counted by the caller."""
    from baton.tenants.signin import ThrottledError, throttle_problem

    user = find_user(session, invitation.email)
    if user is None:
        user = create_user(session, email=invitation.email, name=name, password=password)
    elif user.password_hash is None:
        if problem := password_problem(password):
            raise ValidationFailed({"password": problem})
        user.password_hash = hash_password(password)
    else:
        if problem := throttle_problem(session, invitation.email, address):
            raise ThrottledError({"password": problem})
        if not verify_password(user.password_hash, password):
            raise PasswordRefused({"password": "Enter your existing Baton password to join."})
    invitation.accepted_at = utcnow()
    membership = add_member(session, invitation.organisation, user, invitation.role)
    return user, membership
