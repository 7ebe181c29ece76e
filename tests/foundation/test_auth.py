"""Signing in, throttling, CSRF, invitations, password resets, organisation
switching and cookie flags, on both backends unless noted."""

from __future__ import annotations

import email
import email.policy
import re
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from baton.platform.db import db, utcnow
from baton.platform.request_context import SYSTEM, acting_as
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.tenants import services
from baton.tenants.models import Invitation, LoginFailure, Membership, Organisation, User
from tests.support.world import PASSWORD, login

# The confirmation a person gives (the dialog or the confirmation page).
CONFIRMED = {"confirmed": "yes"}

WRONG = "Email or password is not correct."
THROTTLED = "Too many failed sign-in attempts"
CSRF_REFUSED = "This form has expired or was not sent from Baton"


def an_address() -> str:
    """A client address of its own, so throttling in one test never touches another."""
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def sign_in(client, email_address: str, password: str, address: str | None = None):
    return client.post(
        "/login",
        data={"email": email_address, "password": password},
        environ_base={"REMOTE_ADDR": address or an_address()},
    )


def service_session(app):
    return db.new_service_session(SERVICE_CONTEXT)


def scalar(app, stmt):
    with app.app_context():
        session = service_session(app)
        try:
            return session.scalar(stmt)
        finally:
            session.close()


def failures(app, email_address: str) -> int:
    return scalar(
        app,
        sa.select(sa.func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.email == email_address),
    )


def mail_to(app, address: str, subject_part: str) -> email.message.EmailMessage:
    folder = app.config["BATON_SETTINGS"].instance_path / "mail"
    found = []
    for path in folder.glob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if msg["To"] == address and subject_part in msg["Subject"]:
            found.append(msg)
    assert len(found) == 1, (
        f"expected one mail to {address} about {subject_part!r}, got {len(found)}"
    )
    return found[0]


def link_in(msg, route: str) -> str:
    body = msg.get_body(preferencelist=("plain",)).get_content()
    match = re.search(rf"https?://\S+/{route}/\S+", body)
    assert match, body
    return urlsplit(match.group(0)).path


def is_member(app, org_id: uuid.UUID, email_address: str) -> bool:
    return bool(
        scalar(
            app,
            sa.select(Membership.id)
            .join(User)
            .where(
                Membership.organisation_id == org_id,
                User.email == email_address,
                Membership.is_active.is_(True),
            ),
        )
    )


def is_signed_out(client) -> bool:
    response = client.get("/client/")
    return response.status_code == 302 and "/login" in response.headers["Location"]


# --- wrong password and throttling ----------------------------------------------------


def test_wrong_password_is_refused_and_only_counted(app, world):
    address = world.email("acme_viewer")
    client = app.test_client()
    response = sign_in(client, address, "not-the-password")
    assert response.status_code == 401
    assert WRONG in response.text
    # An unknown address gets the very same answer, so accounts cannot be probed.
    unknown = sign_in(client, f"nobody.{world.suffix}@example.com", "not-the-password")
    assert unknown.status_code == 401 and WRONG in unknown.text
    assert failures(app, address) == 1
    assert is_signed_out(client)
    assert scalar(app, sa.select(User.last_login_at).where(User.email == address)) is None
    login(client, address)
    assert failures(app, address) == 0


def test_five_failures_throttle_the_account_even_with_the_right_password(app, world):
    address = world.email("acme_sourcing")
    client = app.test_client()
    for _ in range(5):
        assert sign_in(client, address, "guessing-again").status_code == 401
    response = sign_in(client, address, PASSWORD)
    assert response.status_code == 429
    assert THROTTLED in response.text and "reset your password" in response.text
    assert is_signed_out(client)
    # Another account from the same places is not affected.
    login(client, world.email("acme_viewer"))


def test_many_failures_from_one_address_throttle_it(app, world):
    address = an_address()
    client = app.test_client()
    for i in range(20):
        response = sign_in(client, f"spray{i}.{world.suffix}@example.com", "123456", address)
        assert response.status_code == 401
    refused = sign_in(client, world.email("acme_admin"), PASSWORD, address)
    assert refused.status_code == 429 and THROTTLED in refused.text
    assert is_signed_out(client)
    assert sign_in(client, world.email("acme_admin"), PASSWORD).status_code == 302


# --- CSRF ---------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(app, tmp_path_factory):
    """The same database as ``app``, with CSRF protection on as in production."""
    from tests.conftest import _make_app

    settings = app.config["BATON_SETTINGS"]
    protected = _make_app(
        tmp_path_factory,
        database_url=settings.database_url,
        service_database_url=settings.service_database_url,
        WTF_CSRF_ENABLED=True,
    )
    yield protected
    protected.extensions["baton.db"].dispose()


def csrf_token(client, path: str, **kwargs) -> str:
    page = client.get(path, **kwargs)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert match, page.text[:300]
    return match.group(1)


def invitation_count(app, email_address: str) -> int:
    return scalar(
        app,
        sa.select(sa.func.count()).select_from(Invitation).where(Invitation.email == email_address),
    )


def test_a_post_without_csrf_token_is_refused_and_changes_nothing(csrf_app, world):
    client = csrf_app.test_client()
    no_token = client.post(
        "/login", data={"email": world.email("acme_admin"), "password": PASSWORD}
    )
    assert no_token.status_code == 400 and CSRF_REFUSED in no_token.text
    assert is_signed_out(client)

    token = csrf_token(client, "/login")
    signed_in = client.post(
        "/login",
        data={"email": world.email("acme_admin"), "password": PASSWORD, "csrf_token": token},
    )
    assert signed_in.status_code == 302

    invitee = f"forged.{world.suffix}@example.com"
    forged = client.post("/organisation/members/invite", data={"email": invitee, "role": "viewer"})
    assert forged.status_code == 400 and CSRF_REFUSED in forged.text
    assert invitation_count(csrf_app, invitee) == 0
    viewer = world.memberships["acme_viewer"]
    assert (
        client.post(f"/organisation/members/{viewer}/deactivate", data=CONFIRMED).status_code == 400
    )
    assert scalar(csrf_app, sa.select(Membership.is_active).where(Membership.id == viewer)) is True

    token = csrf_token(client, "/organisation/members")
    sent = client.post(
        "/organisation/members/invite",
        data={"email": invitee, "role": "viewer", "csrf_token": token},
    )
    assert sent.status_code == 302
    assert invitation_count(csrf_app, invitee) == 1


# --- invitations ----------------------------------------------------------------------------


def test_invitation_end_to_end_and_only_once(app, world):
    admin = app.test_client()
    login(admin, world.email("acme_admin"))
    invitee = f"Nina.{world.suffix}@Example.com"
    sent = admin.post("/organisation/members/invite", data={"email": invitee, "role": "sourcing"})
    assert sent.status_code == 302
    invitee = invitee.lower()
    msg = mail_to(app, invitee, "invited")
    link = link_in(msg, "invitations")

    newcomer = app.test_client()
    form = newcomer.get(link)
    assert form.status_code == 200 and f"Join Acme {world.suffix}" in form.text
    joined = newcomer.post(link, data={"name": "Nina Newcomer", "password": "nina-secret-42"})
    assert joined.status_code == 302
    home = newcomer.get("/", follow_redirects=True)
    assert f"Acme {world.suffix} — client portal" in home.text
    assert "Signed in as Nina Newcomer (sourcing)" in home.text
    assert is_member(app, world.orgs["acme"], invitee)

    again = app.test_client()
    reused = again.get(link)
    assert reused.status_code == 400
    assert "This invitation has already been used. Sign in instead." in reused.text
    hijack = again.post(link, data={"name": "Mallory", "password": "mallory-secret-1"})
    assert hijack.status_code == 400
    assert is_signed_out(again)
    assert sign_in(again, invitee, "mallory-secret-1").status_code == 401
    assert scalar(app, sa.select(User.name).where(User.email == invitee)) == "Nina Newcomer"
    login(again, invitee, "nina-secret-42")


def _invitation(app, org_id: uuid.UUID, email_address: str, expires_in: timedelta) -> uuid.UUID:
    with app.app_context(), acting_as(SYSTEM):
        session = service_session(app)
        try:
            invitation = Invitation(
                id=uuid.uuid4(),
                organisation_id=org_id,
                email=email_address,
                role="viewer",
                expires_at=utcnow() + expires_in,
            )
            session.add(invitation)
            session.commit()
            return invitation.id
        finally:
            session.close()


def _signed(app, purpose: str, payload: dict) -> str:
    from baton.platform.signing import sign

    with app.test_request_context():
        return sign(purpose, payload)


def test_an_expired_invitation_is_refused(app, world):
    invitee = f"late.{world.suffix}@example.com"
    invitation_id = _invitation(app, world.orgs["acme"], invitee, timedelta(hours=-1))
    client = app.test_client()
    link = f"/invitations/{_signed(app, 'invitation', {'id': str(invitation_id)})}"
    refused = client.get(link)
    assert refused.status_code == 400
    assert "This invitation has expired. Ask your admin for a new one." in refused.text
    posted = client.post(link, data={"name": "Late", "password": "late-password-1"})
    assert posted.status_code == 400
    assert scalar(app, sa.select(User.id).where(User.email == invitee)) is None


def test_an_old_invitation_link_is_refused(app, world, monkeypatch):
    invitee = f"old.{world.suffix}@example.com"
    invitation_id = _invitation(app, world.orgs["acme"], invitee, timedelta(days=30))
    eight_days_ago = time.time() - 8 * 86400
    with monkeypatch.context() as m:
        m.setattr("itsdangerous.timed.time.time", lambda: eight_days_ago)
        token = _signed(app, "invitation", {"id": str(invitation_id)})
    refused = app.test_client().get(f"/invitations/{token}")
    assert refused.status_code == 400 and "This link has expired." in refused.text
    tampered = app.test_client().get(f"/invitations/{token[:-2]}xx")
    assert tampered.status_code == 400 and "This link is not valid." in tampered.text


# --- password reset -------------------------------------------------------------------------


def test_password_reset_link_works_once(app, world):
    address = world.email("acme_approver")
    client = app.test_client()
    asked = client.post("/password/forgot", data={"email": address})
    assert asked.status_code == 302
    # The same answer for an unknown address, and no mail is sent for it.
    unknown = f"ghost.{world.suffix}@example.com"
    assert client.post("/password/forgot", data={"email": unknown}).status_code == 302
    link = link_in(mail_to(app, address, "Reset"), "password/reset")

    assert client.get(link).status_code == 200
    changed = client.post(link, data={"password": "brand-new-secret"})
    assert changed.status_code == 302 and "/login" in changed.headers["Location"]
    login(app.test_client(), address, "brand-new-secret")
    assert sign_in(app.test_client(), address, PASSWORD).status_code == 401

    reused = client.get(link)
    assert reused.status_code == 400
    assert "This reset link has already been used. Ask for a new one." in reused.text
    again = client.post(link, data={"password": "attacker-secret-9"})
    assert again.status_code == 400
    assert "already been used" in again.text
    assert sign_in(app.test_client(), address, "attacker-secret-9").status_code == 401
    login(app.test_client(), address, "brand-new-secret")


def test_repeated_reset_requests_send_one_email(app, world):
    address = world.email("acme_sourcing")
    client = app.test_client()
    for _ in range(4):
        response = client.post("/password/forgot", data={"email": address})
        # The answer never changes, so it reveals nothing about the account.
        assert response.status_code == 302
    # mail_to asserts exactly one: the mailbox is not flooded.
    assert link_in(mail_to(app, address, "Reset"), "password/reset")


# --- membership and organisation switching --------------------------------------------------


def test_a_deactivated_member_cannot_use_the_organisation(app, world):
    viewer = app.test_client()
    login(viewer, world.email("acme_viewer"))
    assert viewer.get("/client/").status_code == 200
    admin = app.test_client()
    login(admin, world.email("acme_admin"))
    membership = world.memberships["acme_viewer"]
    assert (
        admin.post(f"/organisation/members/{membership}/deactivate", data=CONFIRMED).status_code
        == 302
    )

    for path in ("/client/", "/organisation/engagements"):
        refused = viewer.get(path)
        assert refused.status_code == 302
        # Deactivation ended the session itself: signed out, not just refused.
        assert "/login" in refused.headers["Location"]
    switched = viewer.post("/switch-organisation", data={"org_id": str(world.orgs["acme"])})
    assert switched.status_code in (401, 404)  # signed out: nothing to switch
    again = app.test_client().post(
        "/login", data={"email": world.email("acme_viewer"), "password": PASSWORD}
    )
    assert "no active organisation" in again.text
    assert viewer.post("/logout").status_code == 302
    assert is_signed_out(viewer)
    again = sign_in(app.test_client(), world.email("acme_viewer"), PASSWORD)
    assert again.status_code == 401
    assert "no active organisation" in again.text


def test_org_switcher_moves_between_organisations(app, world):
    person = world.email("acme_admin")
    with app.app_context(), acting_as(SYSTEM):
        session = service_session(app)
        try:
            user = services.find_user(session, person)
            services.add_member(
                session, session.get(Organisation, world.orgs["north"]), user, "buyer"
            )
            session.commit()
        finally:
            session.close()
    client = app.test_client()
    login(client, person)
    home = client.get("/", follow_redirects=True)
    assert f"Acme {world.suffix} — client portal" in home.text
    assert f"North {world.suffix}" in home.text  # offered in the switcher

    switched = client.post("/switch-organisation", data={"org_id": str(world.orgs["north"])})
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/provider/")
    console = client.get("/provider/")
    assert f"North {world.suffix} — provider console" in console.text
    assert f"Globex {world.suffix}" in console.text
    assert client.get("/client/").status_code == 404

    foreign = client.post("/switch-organisation", data={"org_id": str(world.orgs["globex"])})
    assert foreign.status_code == 404
    assert f"North {world.suffix} — provider console" in client.get("/provider/").text

    client.post("/switch-organisation", data={"org_id": str(world.orgs["acme"])})
    assert f"Acme {world.suffix} — client portal" in client.get("/client/").text


# --- cookies ----------------------------------------------------------------------------------


def _session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    return cookies[-1]


def test_session_cookie_is_http_only_and_same_site_lax(app, world):
    cookie = _session_cookie(login(app.test_client(), world.email("acme_admin")))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # tests run over plain http


def test_cookie_settings_per_environment(monkeypatch, tmp_path):
    from baton.platform.config import ConfigError, load_settings

    monkeypatch.setenv("BATON_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://baton_app@db.internal/baton")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings({"instance_path": tmp_path})
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("SERVICE_DATABASE_URL", "postgresql://baton_service@db.internal/baton")
    production = load_settings({"instance_path": tmp_path}).flask_config()
    for prefix in ("SESSION", "REMEMBER"):
        assert production[f"{prefix}_COOKIE_SECURE"] is True
        assert production[f"{prefix}_COOKIE_HTTPONLY"] is True
        assert production[f"{prefix}_COOKIE_SAMESITE"] == "Lax"
    assert production["WTF_CSRF_ENABLED"] is True

    monkeypatch.setenv("BATON_ENV", "development")
    development = load_settings({"instance_path": tmp_path}).flask_config()
    assert development["SESSION_COOKIE_SECURE"] is False
    assert development["SESSION_COOKIE_HTTPONLY"] is True
    assert development["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_session_cookie_is_secure(pg_urls, pg_world, monkeypatch, tmp_path):
    from baton.platform.app import create_app

    monkeypatch.setenv("BATON_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "y" * 48)
    monkeypatch.setenv("DATABASE_URL", pg_urls.app)
    monkeypatch.setenv("SERVICE_DATABASE_URL", pg_urls.service)
    app = create_app({"instance_path": tmp_path})
    try:
        client = app.test_client()
        token = csrf_token(client, "/login", base_url="https://baton.example.com")
        response = client.post(
            "/login",
            data={"email": pg_world.email("acme_admin"), "password": PASSWORD, "csrf_token": token},
            base_url="https://baton.example.com",
            headers={"Referer": "https://baton.example.com/login"},
        )
        assert response.status_code == 302, response.text[:300]
        cookie = _session_cookie(response)
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    finally:
        app.extensions["baton.db"].dispose()


# --- where a sign-in leads --------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\/evil.example",
        "javascript:alert(1)",
    ],
)
def test_sign_in_never_leads_off_site(app, world, target):
    client = app.test_client()
    response = client.post(
        "/login",
        data={"email": world.email("acme_admin"), "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_in_returns_to_the_page_asked_for(app, world):
    client = app.test_client()
    asked = client.get("/organisation/members")
    assert asked.status_code == 302 and "/login" in asked.headers["Location"]
    response = client.post(
        "/login",
        data={
            "email": world.email("acme_admin"),
            "password": PASSWORD,
            "next": "/organisation/members",
        },
    )
    assert response.headers["Location"] == "/organisation/members"
    assert world.email("acme_viewer") in client.get("/organisation/members").text


def test_an_existing_user_joins_a_second_organisation_with_their_password(app, world):
    admin = app.test_client()
    login(admin, world.email("acme_admin"))
    person = world.email("globex_sourcing")
    assert (
        admin.post(
            "/organisation/members/invite", data={"email": person, "role": "viewer"}
        ).status_code
        == 302
    )
    link = link_in(mail_to(app, person, "invited"), "invitations")
    client = app.test_client()
    assert "Your existing Baton password" in client.get(link).text
    wrong = client.post(link, data={"password": "not-my-password"})
    assert wrong.status_code == 422
    assert "Enter your existing Baton password to join." in wrong.text
    assert is_signed_out(client)
    assert not is_member(app, world.orgs["acme"], person)
    joined = client.post(link, data={"password": PASSWORD})
    assert joined.status_code == 302
    assert f"Acme {world.suffix} — client portal" in client.get("/client/").text
    assert is_member(app, world.orgs["acme"], person)


def test_guessing_a_password_on_an_invitation_page_is_throttled_like_sign_in(app, world):
    from baton.tenants.signin import MAX_FAILURES_PER_ACCOUNT

    admin = app.test_client()
    login(admin, world.email("acme_admin"))
    person = world.email("globex_sourcing")
    admin.post("/organisation/members/invite", data={"email": person, "role": "viewer"})
    link = link_in(mail_to(app, person, "invited"), "invitations")
    guesser = app.test_client()
    for n in range(MAX_FAILURES_PER_ACCOUNT):
        assert guesser.post(link, data={"password": f"guess-{n}"}).status_code == 422
    # The right password no longer helps the guesser, here or at sign-in.
    throttled = guesser.post(link, data={"password": PASSWORD})
    assert throttled.status_code == 429
    assert "Too many failed sign-in attempts" in throttled.text
    assert not is_member(app, world.orgs["acme"], person)
    signin = app.test_client().post("/login", data={"email": person, "password": PASSWORD})
    assert signin.status_code == 429


def test_a_deactivated_admin_can_be_demoted_while_another_admin_is_active(app, world):
    admin = app.test_client()
    login(admin, world.email("acme_admin"))
    viewer = world.memberships["acme_viewer"]
    assert (
        admin.post(f"/organisation/members/{viewer}/role", data={"role": "admin"}).status_code
        == 302
    )
    assert (
        admin.post(f"/organisation/members/{viewer}/deactivate", data=CONFIRMED).status_code == 302
    )
    demoted = admin.post(f"/organisation/members/{viewer}/role", data={"role": "viewer"})
    assert demoted.status_code == 302
    # The one active admin still cannot step down.
    own = world.memberships["acme_admin"]
    refused = admin.post(f"/organisation/members/{own}/role", data={"role": "viewer"})
    assert refused.status_code == 422
    assert "at least one active admin" in refused.text
