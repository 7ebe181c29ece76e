"""Who is asking, for which organisation, with which role.

The acting organisation is resolved once per request: from the signed-in
user's session choice, or from an API token (which is scoped to exactly one
organisation). The result lives on ``g.identity``; decorators at the edge
check kind and role, and every lookup below them is tenant-scoped.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import abort, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user

from baton.platform.request_context import Actor
from baton.platform.tenancy import NO_CONTEXT, TenantContext

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


@dataclass(frozen=True)
class Identity:
    user: object | None
    organisation: object | None
    role: str | None
    context: TenantContext
    actor: Actor
    memberships: tuple = ()
    via_token: bool = False

    @property
    def kind(self) -> str | None:
        return self.organisation.kind if self.organisation is not None else None


ANONYMOUS = Identity(None, None, None, NO_CONTEXT, Actor("anonymous", None, "anonymous"))


@login_manager.user_loader
def _load_user(user_id: str):
    from baton.platform.web import dbs
    from baton.tenants.models import User

    try:
        user = dbs().get(User, uuid.UUID(user_id))
    except ValueError:
        return None
    return user if user is not None and user.is_active else None


def resolve_identity() -> Identity:
    """API calls authenticate by token only; pages by the browser session only,
    so a token cannot drive the HTML forms and a cookie cannot drive the API."""
    from baton.platform.web import dbs
    from baton.tenants import services

    db_session = dbs()
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if request.path.startswith("/api/"):
        if scheme.lower() != "bearer":  # auth schemes are case-insensitive (RFC 9110)
            return ANONYMOUS
        token = services.token_owner(db_session, credentials.strip())
        if token is None:
            return ANONYMOUS
        org = token.organisation
        return Identity(
            user=None,
            organisation=org,
            role=token.role,
            context=services.context_for(db_session, org),
            actor=Actor("api_token", str(token.id), f"API token {token.name} ({token.prefix}…)"),
            via_token=True,
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
    )


def identity() -> Identity:
    return g.get("identity", ANONYMOUS)


def require(kind: str | None = None, roles: tuple[str, ...] | None = None) -> Callable:
    """Edge authorisation: signed in, acting for an organisation of ``kind``,
    with one of ``roles``. A page of the other audience answers 404, so a
    provider cannot even learn a client URL exists; a missing role is 403."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            ident = identity()
            if ident.organisation is None:
                if request.path.startswith("/api/"):
                    abort(401)
                if current_user.is_authenticated:
                    # Signed in, but every membership is gone (deactivated).
                    return redirect(url_for("auth.no_organisation"))
                return login_manager.unauthorized()
            if kind is not None and ident.kind != kind:
                abort(404)
            if roles is not None and ident.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def can(*roles: str) -> bool:
    return identity().role in roles
