"""The JSON API under /api/v1: flask-smorest, bearer tokens only.

Browser sessions are not accepted here, so the API needs no CSRF token and a
logged-in browser cannot be tricked into calling it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

import flask
from flask import Flask
from flask_smorest import Api, Blueprint, abort
from marshmallow import Schema, fields
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from baton.platform.auth import identity


def field_errors(messages: dict | None) -> dict[str, str] | None:
    """webargs reports ``{"json": {"lines": {"0": {"quantity": ["Not a number."]}}}}``;
    integrators get ``{"lines.0.quantity": "Not a number."}``, the shape that
    ValidationFailed from the services has."""
    if not messages:
        return None
    flat: dict[str, str] = {}

    def walk(path: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                name = "_form" if key == "_schema" else str(key)
                walk(f"{path}.{name}" if path else name, inner)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            flat[path or "_form"] = " ".join(value)
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(f"{path}.{index}" if path else str(index), inner)
        else:
            flat[path or "_form"] = str(value)

    for errors in messages.values():  # keyed by location: json, query, form, ...
        walk("", errors)
    return flat


class ErrorSchema(Schema):
    """What every API error answers (baton.platform.pages.error_response)."""

    status = fields.Integer(required=True, metadata={"description": "The HTTP status code"})
    message = fields.String(required=True, metadata={"description": "What went wrong"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "Field path -> what is wrong with it (lines.0.quantity)"},
    )


class BatonApi(Api):
    """flask-smorest registers its JSON handler for every HTTPException app-wide,
    which turned the browser's friendly 404 page into JSON. All errors go
    through baton.platform.pages instead: pages stay HTML, and the API answers
    in one shape, ``{"status", "message", "errors": {field: message}}``, and
    the document says so."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        from baton.platform.pages import error_response

        data = getattr(error, "data", None) or {}
        return error_response(
            error.code or 500, data.get("message"), field_errors(data.get("messages"))
        )


api = BatonApi()


class _Parser(FlaskParser):
    __location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}

    def load_multipart(self, req: flask.Request, schema: Schema):
        """Form fields and files of one multipart body, read by one schema."""
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)


class ApiBlueprint(Blueprint):
    """A flask-smorest Blueprint that also reads ``location="multipart"``: an
    upload's fields and its file in one schema. With a ``form`` and a
    ``files`` schema apart, the document put the fields in OpenAPI 2's
    ``formData`` parameters, which no OpenAPI 3 client sends, beside a body of
    the file alone."""

    ARGUMENTS_PARSER = _Parser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "multipart": "multipart/form-data",
    }


def token_required(kind: str | None = None, permission: str | None = None) -> Callable:
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            ident = identity()
            if not ident.via_token or ident.organisation is None:
                abort(401, message="Send a valid API token as 'Authorization: Bearer <token>'.")
            if kind is not None and ident.kind != kind:
                abort(404)
            if permission is not None and not ident.can(permission):
                from baton.platform.directory import directory

                holders = directory().roles_with(permission, ident.kind)
                abort(
                    403,
                    message=f"This token acts as {ident.role}; {permission} needs one of"
                    f" {', '.join(holders) or 'no role of yours'}.",
                )
            return view(*args, **kwargs)

        return wrapper

    return decorate


def init_api(app: Flask) -> None:
    from baton.platform.areas import areas, resolve
    from baton.platform.extensions import csrf

    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )
    api.init_app(app)
    for blp in (resolve(ref) for area in areas() for ref in area.api_blueprints):
        csrf.exempt(blp)
        api.register_blueprint(blp, url_prefix="/api/v1")
