"""What people and orchestrators see of background work: /readyz, the
development mail pages, the Jobs entry of the admin navigation."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from redis import Redis

from baton.platform.db import db, utcnow
from baton.platform.outbox import ENQUEUED, PENDING, OutboxMessage
from baton.platform.tenancy import SERVICE_CONTEXT
from tests.jobs.conftest import make_app
from tests.support.world import login


@pytest.mark.redis
def test_readyz_reports_queue_depth_and_how_long_unsent_work_has_waited(
    jobs_urls, redis_url, tmp_path
):
    url = redis_url.rsplit("/", 1)[0] + "/7"
    Redis.from_url(url).flushdb()
    app = make_app(jobs_urls, tmp_path, redis_url=url)
    row_id = uuid.uuid4()
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        session.add(
            OutboxMessage(
                id=row_id,
                job="tenants.send_invitation",
                payload={"invitation_id": str(uuid.uuid4())},
                status=PENDING,
                created_at=utcnow() - timedelta(hours=1),
            )
        )
        session.commit()
        from baton.workers.relay import relay_once

        assert relay_once(ids=[row_id]) == 1
        try:
            body = app.test_client().get("/readyz").get_json()
            assert session.get(OutboxMessage, row_id).status == ENQUEUED
        finally:
            session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id == row_id))
            session.commit()
            session.close()
    Redis.from_url(url).flushdb()
    app.extensions["baton.db"].dispose()
    assert body["status"] == "ok"
    assert body["checks"]["redis"]["queue_depth"]["high"] == 1
    # Relayed but not yet done still counts as waiting.
    assert body["checks"]["outbox"]["oldest_unsent_seconds"] >= 3600
    assert body["checks"]["outbox"]["unsent"] >= 1


@pytest.fixture
def dev_app(sqlite_app, tmp_path):
    from baton.platform.app import create_app

    url = sqlite_app.config["BATON_SETTINGS"].database_url
    app = create_app(
        {
            "env": "development",
            "instance_path": tmp_path,
            "database_url": url,
            "service_database_url": url,
            "migration_database_url": url,
            "WTF_CSRF_ENABLED": False,
            "TESTING": True,
        }
    )
    yield app
    app.extensions["baton.db"].dispose()


def test_the_development_mail_pages_list_and_open_each_message(dev_app):
    from tests.support.world import make_world

    world = make_world(dev_app)
    admin = dev_app.test_client()
    login(admin, world.email("acme_admin"))
    invitee = f"dev.{world.suffix}@example.com"
    admin.post("/organisation/members/invite", data={"email": invitee, "role": "viewer"})
    from baton.platform import mail

    with dev_app.app_context(), dev_app.test_request_context():
        mail.send(
            mail.OutgoingMail(
                to=["supplier@example.com"],
                subject=f"PO {world.suffix}",
                template="notification",
                context={"subject": "PO", "lines": ["attached"], "action": None},
                key=f"dev-po:{world.suffix}",
                attachments=[mail.Attachment("po.pdf", b"%PDF-1.4 x", "application/pdf")],
            )
        )

    # Anonymous visitors see nothing: the mails hold reset and invitation links.
    anyone = dev_app.test_client()
    assert anyone.get("/dev/mail").status_code == 302
    names = [m["name"] for m in _listed(dev_app)]
    invitation = next(n for n in names if invitee in _to(dev_app, n))
    assert anyone.get(f"/dev/mail/{invitation}").status_code == 302
    assert anyone.get(f"/dev/mail/{invitation}/raw").status_code == 302

    # A signed-in person sees the mail sent to their own address, and no other.
    with dev_app.app_context(), dev_app.test_request_context():
        mail.send(
            mail.OutgoingMail(
                to=[world.email("acme_admin")],
                subject=f"For the admin {world.suffix}",
                template="notification",
                context={"subject": "Hello", "lines": ["yours"], "action": None},
                key=f"dev-admin:{world.suffix}",
            )
        )
    listing = admin.get("/dev/mail")
    assert f"For the admin {world.suffix}" in listing.text
    assert invitation not in listing.text and f"PO {world.suffix}" not in listing.text
    assert admin.get(f"/dev/mail/{invitation}").status_code == 404
    assert admin.get(f"/dev/mail/{invitation}/html").status_code == 404

    # A platform operator sees every message.
    operator = dev_app.test_client()
    login(operator, _operator(dev_app, world))
    listing = operator.get("/dev/mail")
    assert listing.status_code == 200
    assert invitee in listing.text and f"PO {world.suffix}" in listing.text
    page = operator.get(f"/dev/mail/{invitation}")
    assert page.status_code == 200 and "You are invited to" in page.text
    html = operator.get(f"/dev/mail/{invitation}/html")
    assert "sandbox" in html.headers["Content-Security-Policy"]
    assert "<a href=" in html.text
    raw = operator.get(f"/dev/mail/{invitation}/raw")
    assert raw.mimetype == "message/rfc822" and b"Message-ID: <" in raw.data

    po = next(n for n in names if "supplier@example.com" in _to(dev_app, n))
    assert "po.pdf" in operator.get(f"/dev/mail/{po}").text
    assert operator.get(f"/dev/mail/{po}/attachments/0").data == b"%PDF-1.4 x"
    assert operator.get(f"/dev/mail/{po}/attachments/5").status_code == 404
    assert operator.get("/dev/mail/..%2Fsecret_key").status_code == 404
    assert operator.get("/dev/mail/nothing.eml").status_code == 404


def _operator(app, world) -> str:
    from baton.tenants.services import create_user
    from tests.support.world import PASSWORD

    email = f"operator.{world.suffix}@example.com"
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            create_user(session, email=email, name="Op", password=PASSWORD, operator=True)
            session.commit()
        finally:
            session.close()
    return email


def test_the_mail_pages_never_exist_in_production_even_when_asked_for(tmp_path, monkeypatch):
    from baton.platform.dev_views import enabled

    monkeypatch.setenv("BATON_DEV_PAGES", "1")

    class _App:
        config = {
            "BATON_SETTINGS": type(
                "S", (), {"production": True, "smtp_host": None, "env": "production"}
            )()
        }

    assert enabled(_App()) is False


def _listed(app):
    from baton.platform import mail_files

    with app.app_context():
        return mail_files.list_eml()


def _to(app, name):
    from baton.platform import mail_files

    with app.app_context():
        return str(mail_files.read_eml(name)["To"])


def test_the_mail_pages_do_not_exist_outside_development(app):
    assert app.test_client().get("/dev/mail").status_code == 404
    assert not any(rule.rule.startswith("/dev/") for rule in app.url_map.iter_rules())


def test_admins_have_a_jobs_entry_in_the_navigation_and_others_do_not(app, world):
    admin = app.test_client()
    login(admin, world.email("north_admin"))
    assert 'href="/organisation/jobs"' in admin.get("/organisation/engagements").text
    buyer = app.test_client()
    login(buyer, world.email("north_buyer"))
    assert 'href="/organisation/jobs"' not in buyer.get("/organisation/engagements").text
    assert buyer.get("/organisation/jobs").status_code == 403
