"""The JSON API under /api/v1: flask-smorest, bearer tokens only.

Browser sessions are not accepted here, so the API needs no CSRF token and a
logged-in browser cannot be tricked into calling it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Flask
from flask_smorest import Api, abort

from baton.platform.auth import identity

api = Api()


def token_required(kind: str | None = None, roles: tuple[str, ...] | None = None) -> Callable:
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            ident = identity()
            if not ident.via_token or ident.organisation is None:
                abort(401, message="Send a valid API token as 'Authorization: Bearer <token>'.")
            if kind is not None and ident.kind != kind:
                abort(404)
            if roles is not None and ident.role not in roles:
                abort(
                    403,
                    message=f"This token acts as {ident.role}; the call needs one of {', '.join(roles)}.",
                )
            return view(*args, **kwargs)

        return wrapper

    return decorate


def init_api(app: Flask) -> None:
    from baton.platform.extensions import csrf
    from baton.tenants.api import blp as tenants_blp

    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )
    api.init_app(app)
    for blp in (tenants_blp,):
        csrf.exempt(blp)
        api.register_blueprint(blp, url_prefix="/api/v1")
