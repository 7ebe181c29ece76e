"""Sessions the server can end: a copied session cookie dies with sign-out, a
new password or a deactivated membership, and sessions expire when idle and
after their absolute lifetime."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from baton.platform.db import db, utcnow
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.tenants import services
from baton.tenants.models import Membership, User
from tests.support.world import login

# The confirmation a person gives (the dialog or the confirmation page).
CONFIRMED = {"confirmed": "yes"}

PAGE = "/organisation/engagements"


def _signed_in_twice(app, email):
    """A browser, and a thief holding a copy of its session cookie."""
    browser = app.test_client()
    login(browser, email)
    thief = app.test_client()
    thief.set_cookie("session", browser.get_cookie("session").value)
    assert thief.get(PAGE).status_code == 200
    return browser, thief


def _service(app, fn):
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            result = fn(session)
            session.commit()
            return result
        finally:
            session.close()


def test_a_copied_session_cookie_stops_working_after_sign_out(app, world):
    browser, thief = _signed_in_twice(app, world.email("acme_sourcing"))
    assert browser.post("/logout").status_code == 302
    response = thief.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_password_reset_ends_the_sessions_that_were_open(app, world):
    email = world.email("acme_admin")
    _browser, thief = _signed_in_twice(app, email)

    def reset(session):
        user = session.scalars(sa.select(User).where(User.email == email)).one()
        services.reset_password(
            session, user.id, services.reset_fingerprint(user), "a-brand-new-passphrase-2026"
        )

    _service(app, reset)
    assert thief.get(PAGE).status_code == 302
    fresh = app.test_client()
    login(fresh, email, "a-brand-new-passphrase-2026")
    assert fresh.get(PAGE).status_code == 200


def test_deactivating_a_member_ends_their_session_at_once(app, world):
    email = world.email("acme_viewer")
    _browser, thief = _signed_in_twice(app, email)
    admin = app.test_client()
    login(admin, world.email("acme_admin"))
    membership_id = _service(
        app,
        lambda s: s.scalars(
            sa.select(Membership.id)
            .join(User, User.id == Membership.user_id)
            .where(User.email == email)
        ).one(),
    )
    assert (
        admin.post(f"/organisation/members/{membership_id}/deactivate", data=CONFIRMED).status_code
        == 302
    )
    assert thief.get(PAGE).status_code == 302


def test_an_idle_session_ends_and_so_does_an_old_one(app, world, monkeypatch):
    browser = app.test_client()
    login(browser, world.email("acme_sourcing"))
    assert browser.get(PAGE).status_code == 200
    with browser.session_transaction() as cookie:
        cookie["seen"] = (utcnow() - timedelta(hours=13)).isoformat()
    assert browser.get(PAGE).status_code == 302  # idle longer than 12 h

    login(browser, world.email("acme_sourcing"))
    with browser.session_transaction() as cookie:
        cookie["started"] = (utcnow() - timedelta(days=3)).isoformat()
    assert browser.get(PAGE).status_code == 200
    monkeypatch.setitem(app.config, "BATON_SESSION_MAX_DAYS", 2)
    assert browser.get(PAGE).status_code == 302  # older than the absolute lifetime


def test_pages_api_answers_and_downloads_carry_the_security_headers(app, world):
    from tests.support import requirements as h

    browser = app.test_client()
    login(browser, world.email("acme_sourcing"))
    page = browser.get(PAGE)
    api = app.test_client().get(
        "/api/v1/me", headers=h.api_headers(app, world.orgs["acme"], "viewer")
    )
    anonymous = app.test_client().get("/login")
    for response in (page, api, anonymous):
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["Cache-Control"] == "no-store"
    assert api.headers["Cache-Control"] == "no-store"
    # No page of ours runs an inline script (the policy would block it).
    assert "<script>" not in page.text


def test_a_token_stops_working_when_its_creator_is_deactivated(app, world):
    from baton.tenants.models import Organisation

    email = world.email("acme_sourcing")

    def mint(session):
        user = session.scalars(sa.select(User).where(User.email == email)).one()
        token, _row = services.create_api_token(
            session, session.get(Organisation, world.orgs["acme"]), name="ERP", role="admin",
            created_by=user,
        )  # fmt: skip
        return token

    headers = {"Authorization": f"Bearer {_service(app, mint)}"}
    api = app.test_client()
    assert api.get("/api/v1/members", headers=headers).status_code == 200
    admin = app.test_client()
    login(admin, world.email("acme_admin"))
    membership = world.memberships["acme_sourcing"]
    assert (
        admin.post(f"/organisation/members/{membership}/deactivate", data=CONFIRMED).status_code
        == 302
    )
    assert api.get("/api/v1/members", headers=headers).status_code == 401


def test_a_viewer_cannot_read_someone_elses_import_task(app, world):
    from baton.platform.tasks import start_task

    def start(session):
        user = session.scalars(
            sa.select(User).where(User.email == world.email("acme_sourcing"))
        ).one()
        return start_task(
            session, kind="import", label="Import big.csv", job="platform.notify",
            payload={"event": "platform.message", "message": {"key": "x", "subject": "x", "to": []}},
            tenant_id=world.orgs["acme"], created_by_id=user.id,
        ).id  # fmt: skip

    task_id = _service(app, start)
    viewer = app.test_client()
    login(viewer, world.email("acme_viewer"))
    assert viewer.get(f"/organisation/tasks/{task_id}").status_code == 404
    assert viewer.get(f"/organisation/tasks/{task_id}.json").status_code == 404
    owner = app.test_client()
    login(owner, world.email("acme_sourcing"))
    assert owner.get(f"/organisation/tasks/{task_id}").status_code == 200
    admin = app.test_client()
    login(admin, world.email("acme_admin"))
    assert admin.get(f"/organisation/tasks/{task_id}").status_code == 200


def test_rotating_the_secret_key_ends_old_sessions_unless_it_stays_a_fallback(
    app, world, monkeypatch
):
    # The cookie signer is built once per key set (platform/web.py): a new key
    # must still be noticed by the very next request.
    browser = app.test_client()
    login(browser, world.email("acme_admin"))
    assert browser.get(PAGE).status_code == 200
    old = app.secret_key
    monkeypatch.setitem(app.config, "SECRET_KEY", "rotated-" + old)
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [old])
    assert browser.get(PAGE).status_code == 200
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [])
    assert browser.get(PAGE).status_code == 302
