"""Who is asking, resolved once per request from the directory's own tables.

API calls authenticate by token only; pages by the browser session only, so
a token cannot drive the HTML forms and a cookie cannot drive the API.
"""

from __future__ import annotations

import uuid

from flask import request, session
from flask_login import current_user
from sqlalchemy.orm import Session

from baton.platform.auth import ANONYMOUS, Identity
from baton.platform.request_context import Actor
from baton.platform.tenancy import NO_CONTEXT
from baton.tenants import services, sessions
from baton.tenants.models import User
from baton.tenants.permissions import granted


def load_user(db_session: Session, user_id: str) -> User | None:
    """The signed-in person, while their session still stands (tenants/sessions.py)."""
    try:
        user = db_session.get(User, uuid.UUID(user_id))
    except ValueError:
        return None
    if user is None or not user.is_active or not sessions.valid(user):
        return None
    return user


def resolve_identity(db_session: Session) -> Identity:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if request.path.startswith("/api/"):
        if scheme.lower() != "bearer":  # auth schemes are case-insensitive (RFC 9110)
            return ANONYMOUS
        found = services.token_with_context(db_session, credentials.strip())
        if found is None:
            return ANONYMOUS
        token, context = found
        org = token.organisation
        return Identity(
            user=None,
            organisation=org,
            role=token.role,
            context=context,
            actor=Actor("api_token", str(token.id), f"API token {token.name} ({token.prefix}…)"),
            via_token=True,
            permissions=granted(org.kind, token.role),
        )
    if not current_user.is_authenticated:
        return ANONYMOUS
    memberships = tuple(services.active_memberships(db_session, current_user.id))
    chosen = session.get("org_id")
    membership = next((m for m in memberships if str(m.organisation_id) == chosen), None)
    if membership is None and memberships:
        membership = memberships[0]
        session["org_id"] = str(membership.organisation_id)
    actor = Actor("user", str(current_user.id), current_user.email)
    if membership is None:
        return Identity(current_user, None, None, NO_CONTEXT, actor, memberships)
    org = membership.organisation
    return Identity(
        user=current_user._get_current_object(),
        organisation=org,
        role=membership.role,
        context=services.context_for(db_session, org, current_user.id),
        actor=actor,
        memberships=memberships,
        permissions=granted(org.kind, membership.role),
    )
