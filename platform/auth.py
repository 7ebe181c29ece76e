"""Who is asking, for which organisation, with which role.

The acting organisation is resolved once per request: from the signed-in
user's session choice, or from an API token (which is scoped to exactly one
organisation). The result lives on ``g.identity``; decorators at the edge
check kind and role, and every lookup below them is tenant-scoped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import abort, g, redirect, request, url_for
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
    # Capabilities of this role in this organisation (the tenants area's table).
    permissions: frozenset[str] = frozenset()

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def kind(self) -> str | None:
        return self.organisation.kind if self.organisation is not None else None


ANONYMOUS = Identity(None, None, None, NO_CONTEXT, Actor("anonymous", None, "anonymous"))


@login_manager.user_loader
def _load_user(user_id: str):
    from baton.platform.directory import directory
    from baton.platform.web import dbs

    return directory().load_user(dbs(), user_id)


def resolve_identity() -> Identity:
    """The directory (the tenants area) knows tokens, users and memberships."""
    from baton.platform.directory import directory
    from baton.platform.web import dbs

    return directory().resolve_identity(dbs())


def identity() -> Identity:
    return g.get("identity", ANONYMOUS)


def require(kind: str | None = None, permission: str | None = None) -> Callable:
    """Edge authorisation: signed in, acting for an organisation of ``kind``,
    holding ``permission``. A page of the other audience answers 404, so a
    provider cannot even learn a client URL exists; a missing permission is 403."""

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
            if permission is not None and not ident.can(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def can(permission: str) -> bool:
    return identity().can(permission)
