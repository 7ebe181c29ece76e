"""Errors look right for who is asking: friendly pages for people, one JSON
shape (status, message, errors by field) for API integrations."""

from __future__ import annotations

from baton.platform.api import field_errors
from baton.platform.db import db
from baton.platform.request_context import SYSTEM, acting_as
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.tenants import services
from baton.tenants.models import Organisation


def _token(app, org_id, role: str) -> str:
    with app.app_context(), acting_as(SYSTEM):
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            org = session.get(Organisation, org_id)
            token, _row = services.create_api_token(
                session, org, name="ERP", role=role, created_by=None
            )
            session.commit()
        finally:
            session.close()
    return token


def test_browser_gets_the_friendly_not_found_page(app):
    response = app.test_client().get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")
    assert "Not found" in response.text
    assert response.headers["X-Request-ID"] in response.text  # the reference to quote


def test_api_answers_unknown_paths_in_json(app):
    response = app.test_client().get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["status"] == 404
    assert response.get_json()["message"]


def test_api_without_a_token_says_how_to_send_one(app):
    response = app.test_client().get("/api/v1/me")
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.get_json()["message"]


def test_api_token_without_the_role_is_told_which_role_is_needed(app, world):
    token = _token(app, world.orgs["acme"], "viewer")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    response = client.get("/api/v1/members", headers=headers)
    assert response.status_code == 403
    body = response.get_json()
    assert body["status"] == 403
    assert "viewer" in body["message"] and "admin" in body["message"]


def test_schema_errors_are_reported_per_field():
    messages = {
        "json": {
            "title": ["Missing data for required field."],
            "lines": {"0": {"quantity": ["Not a valid number.", "Must be positive."]}},
            "_schema": ["Currency does not match the supplier."],
        }
    }
    assert field_errors(messages) == {
        "title": "Missing data for required field.",
        "lines.0.quantity": "Not a valid number. Must be positive.",
        "_form": "Currency does not match the supplier.",
    }
    assert field_errors(None) is None
