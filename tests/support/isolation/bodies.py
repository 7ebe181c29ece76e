"""What a request sends: API bodies from the route's flask-smorest schemas,
generic form fields for pages, victim ids in every field named after one."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from werkzeug.routing import Rule

from baton.platform.db import utcnow
from tests.support.isolation.callers import Caller
from tests.support.isolation.victim import PARAMETERS, Victim
from tests.support.world import PASSWORD

Form = Callable[["Caller", "Victim"], dict]
PDF = b"%PDF-1.4 isolation probe"


@dataclass
class Body:
    """What a request sends: form fields (multipart when a file is among
    them) for pages and uploads, JSON for the rest of the API."""

    fields: dict[str, Any]
    json: bool = False

    def sent(self) -> set[str]:
        return {str(v) for v in self.fields.values() if not isinstance(v, tuple)}


def _default_form(caller: Caller, victim: Victim) -> dict:
    """Plausible fields for any form, with victim ids under every parameter name,
    so a create or update that takes a foreign id in its body is tried too."""
    probe = f"Isolation probe {uuid.uuid4().hex[:6]}"
    data: dict[str, Any] = {
        "name": probe,
        "title": probe,
        "email": f"intruder.{uuid.uuid4().hex[:8]}@example.com",
        "password": "Isolation-probe-password-1",
        "role": "viewer",
        "note": probe,
        "reason": probe,
        "comment": probe,
        "file": (io.BytesIO(PDF), "probe.pdf"),
    }
    data.update(victim.ids)
    return data


FORM_OVERRIDES: dict[str, Form] = {
    # Correct credentials: a wrong password would count towards the per-address
    # sign-in throttle that every other test's login shares.
    "auth.login": lambda caller, victim: {"email": caller.email, "password": PASSWORD},
}


def _api_arguments(app: Flask, endpoint: str) -> list[dict]:
    """The flask-smorest ``@blp.arguments`` of a view: schema and location."""
    view = app.view_functions.get(endpoint)
    return getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", [])


def _sample(name: str, fld: Any, defaults: dict) -> Any:
    """A valid value for one marshmallow field, preferring the default form's."""
    from flask_smorest.fields import Upload
    from marshmallow import fields, validate

    for validator in fld.validators:
        if isinstance(validator, validate.OneOf):
            return list(validator.choices)[0]
    if isinstance(fld, Upload):
        return (io.BytesIO(PDF), "probe.pdf")
    if (victim_id := _victim_id_for(name, defaults)) is not None:
        return [victim_id] if isinstance(fld, fields.List) else victim_id
    if name in defaults and not isinstance(fld, fields.Nested | fields.List | fields.Boolean):
        return defaults[name]
    if isinstance(fld, fields.Nested):
        sample = _sample_schema(fld.schema, defaults)
        return [sample] if fld.many else sample
    if isinstance(fld, fields.List):
        return [_sample(name, fld.inner, defaults)]
    kinds = (
        (fields.Email, lambda: defaults["email"]),
        (fields.UUID, lambda: str(uuid.uuid4())),
        (fields.Boolean, lambda: False),
        (fields.Integer, lambda: 1),
        (fields.Number, lambda: "1"),
        (fields.DateTime, lambda: utcnow().isoformat()),
        (fields.Date, lambda: (utcnow() + timedelta(days=30)).date().isoformat()),
        (fields.Dict, dict),
    )
    for kind, make in kinds:
        if isinstance(fld, kind):
            return make()
    return defaults["name"]


def _victim_id_for(name: str, defaults: dict) -> str | None:
    """The victim's id for a field named after a parameter, also with a prefix
    or in the plural: ``awarded_supplier_id``, ``spec_revision_ids``."""
    stem = name[:-1] if name.endswith("_ids") else name
    for param in sorted(PARAMETERS, key=len, reverse=True):
        if param in defaults and (stem == param or stem.endswith(f"_{param}")):
            return defaults[param]
    return None


def _sample_schema(schema: Any, defaults: dict) -> dict:
    """Required fields, plus any field the default form has a value for or
    that names a victim id (so a PATCH does change something, and a foreign id
    in a body is tried, if the lookup lets it through)."""
    schema = schema() if isinstance(schema, type) else schema
    return {
        fld.data_key or name: _sample(name, fld, defaults)
        for name, fld in schema.fields.items()
        if not fld.dump_only
        and (
            fld.required
            or name in defaults
            or (fld.data_key or name) in defaults
            or _names_victim_id(name, fld, defaults)
        )
    }


def _names_victim_id(name: str, fld: Any, defaults: dict) -> bool:
    """The field, or a field nested in it (``lines[].spec_revision_ids``), takes a victim id."""
    from marshmallow import fields

    if _victim_id_for(name, defaults) is not None:
        return True
    if isinstance(fld, fields.List):
        return _names_victim_id(name, fld.inner, defaults)
    if isinstance(fld, fields.Nested):
        nested = fld.schema
        return any(
            _names_victim_id(n, f, defaults) for n, f in nested.fields.items() if not f.dump_only
        )
    return False


def body_for(app: Flask, rule: Rule, caller: Caller, victim: Victim) -> Body:
    endpoint = rule.endpoint
    defaults = _default_form(caller, victim)
    arguments = [a for a in _api_arguments(app, endpoint) if a["in"] != "query"]
    if arguments:
        fields_: dict[str, Any] = {}
        for argument in arguments:
            fields_.update(_sample_schema(argument["schema"], defaults))
        body = Body(fields_, json=all(a["in"] == "json" for a in arguments))
    elif rule.rule.startswith("/api/"):
        body = Body({k: v for k, v in defaults.items() if k != "file"}, json=True)
    else:
        body = Body(defaults)
    if endpoint in FORM_OVERRIDES:
        body.fields.update(FORM_OVERRIDES[endpoint](caller, victim))
    return body
