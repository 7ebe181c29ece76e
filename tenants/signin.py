"""Signing in: passwords, the per-account and per-address throttle, resets."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.db import utcnow
from baton.platform.errors import ValidationFailed
from baton.platform.outbox import emit
from baton.platform.passwords import hash_password, password_problem, verify_password
from baton.tenants import sessions
from baton.tenants.models import (
    LoginFailure,
    User,
)
from baton.tenants.organisations import normalise_email
from baton.tenants.people import active_memberships, find_user

THROTTLE_WINDOW = timedelta(minutes=15)
RESET_EMAIL_INTERVAL = timedelta(minutes=5)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


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


def sign_out(session: Session, user_id: uuid.UUID) -> None:
    """Sign out: end every session of this person, so a copied cookie dies too."""
    user = session.get(User, user_id)
    if user is not None:
        sessions.end_all(user)


def reset_password(session: Session, user_id: uuid.UUID, fingerprint: str, password: str) -> User:
    user = reset_user(session, user_id, fingerprint)
    if problem := password_problem(password):
        raise ValidationFailed({"password": problem})
    user.password_hash = hash_password(password)
    # Whoever held a session (perhaps the reason for the reset) is out now.
    sessions.end_all(user)
    session.execute(sa.delete(LoginFailure).where(LoginFailure.email == user.email))
    return user
