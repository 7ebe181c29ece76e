"""People: users, their addresses and names, and their memberships and roles."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager

from baton.platform import audit
from baton.platform.errors import NotFound, ValidationFailed
from baton.platform.passwords import hash_password, password_problem
from baton.tenants import sessions
from baton.tenants.models import (
    Membership,
    Organisation,
    User,
    roles_for,
)
from baton.tenants.organisations import _check_email, normalise_email

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
            .options(contains_eager(Membership.organisation))
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
    if not active:
        # A copied or forgotten session of theirs must not outlive the decision.
        sessions.end_all(membership.user)
    audit.record(
        session,
        tenant_id=org.id,
        action="membership.reactivated" if active else "membership.deactivated",
        entity_type="membership",
        entity_id=membership.id,
        changes=audit.diff(before, {"is_active": active}),
    )
    return membership
