"""API tokens: made by an admin, shown once, stored as a digest, scoped to one
organisation and one role, and dead once revoked."""

from __future__ import annotations

import hashlib
import re
import uuid

import sqlalchemy as sa

from baton.platform.db import db
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.tenants.models import ApiToken
from tests.support.world import login

# The confirmation a person gives (the dialog or the confirmation page).
CONFIRMED = {"confirmed": "yes"}

TOKEN = re.compile(r"<code>(bt_[A-Za-z0-9_\-]+)</code>")


def admin_client(app, world, key: str = "acme_admin"):
    client = app.test_client()
    login(client, world.email(key))
    return client


def create_token(client, name: str, role: str) -> str:
    response = client.post("/organisation/api-tokens", data={"name": name, "role": role})
    assert response.status_code == 303, response.text[:500]
    shown = client.get(response.headers["Location"])
    assert "it will not be shown again" in shown.text
    found = TOKEN.findall(shown.text)
    assert len(found) == 1
    # A reload shows it no more, and creates nothing.
    again = client.get(response.headers["Location"])
    assert not TOKEN.findall(again.text) and "it will not be shown again" not in again.text
    return found[0]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_row(app, org_id: uuid.UUID, name: str) -> ApiToken:
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            return session.scalars(
                sa.select(ApiToken).where(ApiToken.organisation_id == org_id, ApiToken.name == name)
            ).one()
        finally:
            session.close()


def test_a_token_is_shown_once_and_stored_as_its_digest(app, world):
    client = admin_client(app, world)
    token = create_token(client, "ERP integration", "sourcing")
    listing = client.get("/organisation/api-tokens")
    assert "ERP integration" in listing.text
    assert token not in listing.text
    assert token[:10] in listing.text  # the prefix tells tokens apart

    row = token_row(app, world.orgs["acme"], "ERP integration")
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(getattr(row, c.key)) for c in sa.inspect(ApiToken).columns]
    assert not any(token in value for value in stored)
    assert row.last_used_at is None


def test_a_token_acts_for_its_organisation(app, world):
    token = create_token(admin_client(app, world), "Reporting", "admin")
    api = app.test_client()
    me = api.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json["organisation"]["id"] == str(world.orgs["acme"])
    assert me.json["organisation"]["name"] == f"Acme {world.suffix}"
    assert me.json["role"] == "admin"
    assert token_row(app, world.orgs["acme"], "Reporting").last_used_at is not None

    members = api.get("/api/v1/members", headers=bearer(token))
    assert members.status_code == 200
    emails = {m["email"] for m in members.json["items"]}
    assert world.email("acme_viewer") in emails
    assert not any(e.startswith("globex_") or e.startswith("north_") for e in emails)


def test_a_revoked_token_answers_401(app, world):
    client = admin_client(app, world)
    token = create_token(client, "Old ERP", "viewer")
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 200
    row = token_row(app, world.orgs["acme"], "Old ERP")
    revoked = client.post(f"/organisation/api-tokens/{row.id}/revoke", data=CONFIRMED)
    assert revoked.status_code == 302
    refused = app.test_client().get("/api/v1/me", headers=bearer(token))
    assert refused.status_code == 401
    assert "revoked" in client.get("/organisation/api-tokens").text


def test_unknown_and_missing_tokens_answer_401(app, world):
    browser = admin_client(app, world)
    # A signed-in browser is not an API client: no session cookie rides along.
    no_token = browser.get("/api/v1/me")
    assert no_token.status_code == 401
    assert "Authorization: Bearer" in no_token.json["message"]
    made_up = app.test_client().get("/api/v1/me", headers=bearer("bt_" + "x" * 43))
    assert made_up.status_code == 401


def test_the_bearer_scheme_is_case_insensitive(app, world):
    token = create_token(admin_client(app, world), "Curl", "viewer")
    for scheme in ("Bearer", "bearer", "BEARER"):
        me = app.test_client().get("/api/v1/me", headers={"Authorization": f"{scheme} {token}"})
        assert me.status_code == 200, scheme
    basic = app.test_client().get("/api/v1/me", headers={"Authorization": f"Basic {token}"})
    assert basic.status_code == 401


def test_a_token_of_one_org_cannot_see_another(app, world):
    globex = create_token(admin_client(app, world, "globex_admin"), "Globex ERP", "admin")
    members = app.test_client().get("/api/v1/members", headers=bearer(globex))
    emails = {m["email"] for m in members.json["items"]}
    assert world.email("globex_sourcing") in emails
    assert not any(e.startswith("acme_") for e in emails)
    # Nor can it drive the pages at all: tokens are for /api/v1 only.
    acme_row_token = create_token(admin_client(app, world), "Acme only", "admin")
    row = token_row(app, world.orgs["acme"], "Acme only")
    foreign = app.test_client().post(
        f"/organisation/api-tokens/{row.id}/revoke", headers=bearer(globex)
    )
    assert foreign.status_code == 302 and "/login" in foreign.location
    assert app.test_client().get("/api/v1/me", headers=bearer(acme_row_token)).status_code == 200


def test_a_viewer_token_cannot_make_admin_calls(app, world):
    token = create_token(admin_client(app, world), "Dashboard", "viewer")
    api = app.test_client()
    assert api.get("/api/v1/me", headers=bearer(token)).status_code == 200
    refused = api.get("/api/v1/members", headers=bearer(token))
    assert refused.status_code == 403
    assert "viewer" in refused.json["message"]


def test_only_admins_make_tokens_and_an_empty_name_is_named(app, world):
    viewer = app.test_client()
    login(viewer, world.email("acme_viewer"))
    assert viewer.get("/organisation/api-tokens").status_code == 403
    assert (
        viewer.post("/organisation/api-tokens", data={"name": "Mine", "role": "admin"}).status_code
        == 403
    )

    client = admin_client(app, world)
    empty = client.post("/organisation/api-tokens", data={"name": "  ", "role": "viewer"})
    assert empty.status_code in (400, 422)
    assert "Name:" in empty.text and "Give the token a name" in empty.text
    assert TOKEN.findall(empty.text) == []
    bad_role = client.post("/organisation/api-tokens", data={"name": "X", "role": "owner"})
    assert bad_role.status_code in (400, 422) and "Role" in bad_role.text
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            count = session.scalar(
                sa.select(sa.func.count())
                .select_from(ApiToken)
                .where(ApiToken.organisation_id == world.orgs["acme"])
            )
        finally:
            session.close()
    assert count == 0


def test_new_tokens_and_invitations_default_to_the_least_privilege(app, world):
    client = admin_client(app, world)
    for path in ("/organisation/api-tokens", "/organisation/members"):
        page = client.get(path).text
        assert (
            '<option selected value="viewer">' in page or '<option value="viewer" selected>' in page
        ), path
        assert '<option selected value="admin">' not in page
