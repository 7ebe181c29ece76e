"""The JSON API under /api/v1: flask-smorest, bearer tokens only.

Browser sessions are not accepted here, so the API needs no CSRF token and a
logged-in browser cannot be tricked into calling it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps

import flask
from flask import Flask
from flask_smorest import Api, Blueprint, abort
from marshmallow import Schema, fields, validate
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from baton.platform.auth import identity
from baton.platform.inputs import MAX_PAGE

PAGE_SIZE = 50


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


def dumped(body: dict) -> flask.Response:
    """``body`` already in its response schema's form, sent as it is.

    flask-smorest passes a Response through untouched, so the schema still
    documents the answer (and schemathesis checks the two agree) without
    serialising a list page's values a second time: a page of 50 orders
    spent 1.7 ms of its 8.6 in marshmallow doing so (bench/api_reads.py)."""
    return flask.jsonify(body)


class PageQuerySchema(Schema):
    """The one pagination parameter every list takes: 50 items a page."""

    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": f"the page, from 1 to {MAX_PAGE:,}; 50 items a page"},
    )


def page_schema(item: type[Schema] | Schema, name: str) -> type[Schema]:
    """The one list envelope, ``{"page", "has_next", "items"}``: no total, since
    counting a large list costs what reading it does (the queue never counts)."""
    return Schema.from_dict(
        {
            "page": fields.Integer(metadata={"description": "this page's number, from 1"}),
            "has_next": fields.Boolean(metadata={"description": "whether page + 1 has more items"}),
            "items": fields.List(fields.Nested(item)),
        },
        name=name,
    )


def page_of(items: list, page: int, size: int = PAGE_SIZE) -> dict:
    """One page of a list already read whole (a few rows: members, engagements)."""
    start = (page - 1) * size
    return {
        "page": page,
        "has_next": len(items) > start + size,
        "items": items[start : start + size],
    }


def page_from_rows(rows: list, page: int, size: int = PAGE_SIZE) -> dict:
    """A page read with one row beyond it (``limit=size + 1``): that row only
    says whether a next page exists."""
    return {"page": page, "has_next": len(rows) > size, "items": rows[:size]}


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

    # Path ids are described once, by name, for the OpenAPI document:
    # ``ids={"supplier_id": "the supplier's id, from GET /suppliers"}``;
    # flask-smorest documents a path parameter's type only, not what it names.
    def __init__(self, *args, ids: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.ids = ids or {}

    def route(self, rule: str, *, parameters: list | None = None, **options) -> Callable:
        names = re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule)
        described = [
            {"in": "path", "name": name, "description": self.ids[name]}
            for name in names
            if name in self.ids
        ]
        return super().route(rule, parameters=[*(parameters or []), *described], **options)


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
    from baton.platform.api_reference import bp as reference

    app.register_blueprint(reference)
    for blp in (resolve(ref) for area in areas() for ref in area.api_blueprints):
        csrf.exempt(blp)
        api.register_blueprint(blp, url_prefix="/api/v1")
