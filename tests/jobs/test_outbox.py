"""The outbox in the embedded mode (jobs run in the web process after the
commit) on both backends: sending once, retrying, failing visibly, retrying
by hand."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from baton.platform.audit import AuditEvent
from baton.platform.db import db
from baton.platform.jobs import drain_inline, job, registry, run_outbox_message
from baton.platform.outbox import DONE, FAILED, PENDING, OutboxMessage, SentMail, emit
from baton.platform.tenancy import SERVICE_CONTEXT
from tests.support.world import login


def _service(app):
    return db.new_service_session(SERVICE_CONTEXT)


def _mail_files(app):
    folder = app.config["BATON_SETTINGS"].instance_path / "mail"
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def _mails_to(app, address):
    return [p for p in _mail_files(app) if f"To: {address}" in p.read_text(errors="replace")]


def _row_for(app, job_name, **payload_match) -> OutboxMessage:
    with app.app_context():
        session = _service(app)
        try:
            rows = session.scalars(
                sa.select(OutboxMessage)
                .where(OutboxMessage.job == job_name)
                .order_by(OutboxMessage.created_at.desc())
            ).all()
        finally:
            session.close()
    for row in rows:
        if all(row.payload.get(k) == v for k, v in payload_match.items()):
            return row
    raise AssertionError(f"no {job_name} row with {payload_match}")


def _row(app, outbox_id) -> OutboxMessage:
    with app.app_context():
        session = _service(app)
        try:
            return session.get(OutboxMessage, outbox_id)
        finally:
            session.close()


def test_an_invitation_is_written_once_even_when_its_job_runs_again(app, world):
    client = app.test_client()
    login(client, world.email("acme_admin"))
    invitee = f"newcomer.{world.suffix}@example.com"

    response = client.post(
        "/organisation/members/invite", data={"email": invitee, "role": "viewer"}
    )
    assert response.status_code == 302

    files = _mails_to(app, invitee)
    assert len(files) == 1
    text = files[0].read_text()
    assert "You are invited to" in text and "Message-ID: <" in text

    with app.app_context():
        session = _service(app)
        try:
            from baton.tenants.models import Invitation

            # This test's invitation row, not the newest one of any test.
            invitation = session.scalar(sa.select(Invitation).where(Invitation.email == invitee))
            row = session.scalar(
                sa.select(OutboxMessage).where(
                    OutboxMessage.job == "tenants.send_invitation",
                    OutboxMessage.entity_id == str(invitation.id),
                )
            )
            assert row.status == DONE and row.entity_type == "invitation"
            # A duplicate delivery of the same row (RQ ran it twice) is a no-op...
            assert run_outbox_message(str(row.id)) == "skipped"
            # ...and even a row put back to pending finds the message in the ledger.
            row.status = PENDING
            session.commit()
        finally:
            session.close()
        assert run_outbox_message(str(row.id)) == "done"
    assert len(_mails_to(app, invitee)) == 1


_flaky_calls: list[str] = []
_flaky_broken = {"on": True}


@pytest.fixture(autouse=True)
def _flaky_job_broken_again():
    """Each test starts with tests.flaky failing, whichever test ran before."""
    _flaky_broken["on"] = True
    yield
    _flaky_broken["on"] = True


@job(
    "tests.flaky",
    queue="default",
    max_retries=2,
    label="Flaky test job",
    entity=lambda p: ("widget", p["widget"]),
)
def _flaky(session, payload):
    _flaky_calls.append(payload["widget"])
    if _flaky_broken["on"]:
        raise ConnectionRefusedError("[Errno 111] Connection refused")


def test_a_failing_job_is_retried_then_shown_failed_and_an_admin_can_retry_it(
    app, world, monkeypatch
):
    monkeypatch.setenv("BATON_JOB_RETRY_INTERVALS", "0")
    _flaky_broken["on"] = True
    widget = f"W-{world.suffix}"
    with app.app_context():
        session = _service(app)
        try:
            row = emit(session, "tests.flaky", {"widget": widget}, tenant_id=world.orgs["acme"])
            session.commit()
            row_id = row.id
        finally:
            session.close()
        drain_inline([row_id])
        first = db.new_service_session(SERVICE_CONTEXT).get(OutboxMessage, row_id)
        # Embedded mode: the failed attempt waits for its retry instead of RQ.
        assert (first.status, first.attempts) == (PENDING, 1)
        assert "Connection refused" in first.last_error
        drain_inline([row_id])
    failed = _row_for(app, "tests.flaky", widget=widget)
    assert (failed.status, failed.attempts) == (FAILED, 2)
    assert _flaky_calls.count(widget) == 2

    admin = app.test_client()
    login(admin, world.email("acme_admin"))
    page = admin.get("/organisation/jobs")
    assert page.status_code == 200
    assert "Flaky test job" in page.text and "Connection refused" in page.text
    assert widget in page.text  # the object concerned

    other = app.test_client()
    login(other, world.email("globex_admin"))
    assert widget not in other.get("/organisation/jobs").text
    assert other.post(f"/organisation/jobs/{row_id}/retry").status_code == 404
    assert _row_for(app, "tests.flaky", widget=widget).status == FAILED

    _flaky_broken["on"] = False
    retried = admin.post(f"/organisation/jobs/{row_id}/retry")
    assert retried.status_code == 302
    done = _row_for(app, "tests.flaky", widget=widget)
    assert done.status == DONE and _flaky_calls.count(widget) == 3
    assert widget not in admin.get("/organisation/jobs").text
    with app.app_context():
        session = _service(app)
        try:
            event = session.scalar(
                sa.select(AuditEvent).where(
                    AuditEvent.entity_type == "outbox_message",
                    AuditEvent.entity_id == str(row_id),
                )
            )
        finally:
            session.close()
    assert event.action == "job.retried" and event.tenant_id == world.orgs["acme"]
    assert event.changes["status"] == ["failed", "pending"]


def test_retrying_a_job_that_has_not_failed_is_refused(app, world):
    with app.app_context():
        session = _service(app)
        try:
            row = emit(session, "tests.flaky", {"widget": "x"}, tenant_id=world.orgs["acme"])
            session.commit()
        finally:
            session.close()
    admin = app.test_client()
    login(admin, world.email("acme_admin"))
    response = admin.post(f"/organisation/jobs/{row.id}/retry", follow_redirects=True)
    assert "Only a failed job can be retried" in response.text


def test_emitting_twice_with_one_dedup_key_makes_one_row(app, world):
    key = f"dedup:{uuid.uuid4()}"
    with app.app_context():
        session = _service(app)
        try:
            _flaky_broken["on"] = False
            first = emit(session, "tests.flaky", {"widget": "a"}, dedup_key=key)
            second = emit(session, "tests.flaky", {"widget": "b"}, dedup_key=key)
            session.commit()
            assert first.id == second.id
            other = _service(app)
            third = emit(other, "tests.flaky", {"widget": "c"}, dedup_key=key)
            other.commit()
            other.close()
            assert third.id == first.id
            count = session.scalar(sa.select(sa.func.count()).where(OutboxMessage.dedup_key == key))
        finally:
            session.close()
    assert count == 1


def test_a_job_with_an_unknown_name_fails_at_once(app):
    with app.app_context():
        session = _service(app)
        try:
            row = OutboxMessage(id=uuid.uuid4(), job="gone.away", payload={}, status=PENDING)
            session.add(row)
            session.commit()
        finally:
            session.close()
        assert run_outbox_message(str(row.id)) == "failed"
    failed = _row(app, row.id)
    assert failed.status == FAILED and "no job named" in failed.last_error


def test_every_registered_job_has_a_queue_a_timeout_and_attempts():
    import baton.workers.registry  # noqa: F401

    assert {"platform.notify", "platform.verify_audit_chains", "tenants.send_invitation"} <= set(
        registry
    )
    for spec in registry.values():
        assert spec.queue in ("high", "default", "low")
        assert spec.timeout > 0 and spec.max_retries >= 1


@pytest.mark.parametrize("status", ["sent", "unconfirmed"])
def test_the_ledger_keeps_a_message_from_going_out_twice(app, status):
    from baton.platform import mail

    key = f"ledger-test:{uuid.uuid4()}"
    with app.app_context():
        msg_id = mail.message_id(key, app.config["BATON_SETTINGS"].mail_from)
        session = _service(app)
        try:
            session.add(
                SentMail(
                    message_id=msg_id,
                    recipients="x@example.com",
                    subject="s",
                    status=status,
                    attempt="earlier",
                )
            )
            session.commit()
        finally:
            session.close()
        before = len(_mail_files(app))
        with app.test_request_context():
            outcome = mail.send(
                mail.OutgoingMail(
                    to=["x@example.com"],
                    subject="s",
                    template="notification",
                    context={"subject": "s", "lines": [], "action": None},
                    key=key,
                )
            )
    assert outcome == "duplicate"
    assert len(_mail_files(app)) == before


def test_baton_worker_without_redis_runs_the_outbox_in_its_own_process(tmp_path):
    """BATON_INLINE_JOBS=0 leaves the rows to `baton worker`, which needs no Redis."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from baton.platform.app import create_app
    from baton.platform.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'embedded.sqlite3'}"
    upgrade(url)
    app = create_app({"instance_path": tmp_path, "database_url": url, "service_database_url": url})
    with app.app_context():
        session = _service(app)
        try:
            from baton.platform.notify import notify

            row = notify(session, key="worker-test", subject="Hello", to=["a@example.com"])
            session.commit()
        finally:
            session.close()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SMTP_HOST")}
    env.update(DATABASE_URL=url, BATON_INSTANCE_PATH=str(tmp_path), BATON_ENV="test")
    baton = str(Path(sys.executable).with_name("baton"))
    done = subprocess.run(
        [baton, "worker", "--burst"], env=env, timeout=60, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with app.app_context():
        session = _service(app)
        try:
            assert session.get(OutboxMessage, row.id).status == DONE
        finally:
            session.close()
    assert len(_mails_to(app, "a@example.com")) == 1
    app.extensions["baton.db"].dispose()


def test_in_the_embedded_mode_a_due_retry_runs_after_the_next_request(app, world, monkeypatch):
    monkeypatch.setenv("BATON_JOB_RETRY_INTERVALS", "0")
    _flaky_broken["on"] = True
    widget = f"R-{world.suffix}"
    with app.app_context():
        session = _service(app)
        try:
            row = emit(session, "tests.flaky", {"widget": widget}, tenant_id=world.orgs["acme"])
            session.commit()
        finally:
            session.close()
        drain_inline([row.id])
    assert _row_for(app, "tests.flaky", widget=widget).status == PENDING
    _flaky_broken["on"] = False

    admin = app.test_client()
    login(admin, world.email("acme_admin"))
    admin.post(
        "/organisation/members/invite",
        data={"email": f"next.{world.suffix}@example.com", "role": "viewer"},
    )
    done = _row_for(app, "tests.flaky", widget=widget)
    assert (done.status, done.attempts) == (DONE, 2)


def test_a_notification_reaches_each_user_once_however_often_it_is_emitted(app, world):
    from baton.platform.notify import notify
    from baton.tenants.models import User

    with app.app_context():
        session = _service(app)
        try:
            sourcing = session.scalar(
                sa.select(User).where(User.email == world.email("acme_sourcing"))
            )
            for _ in range(2):
                notify(
                    session,
                    key=f"handoff-returned:{world.suffix}",
                    subject="REQ-7 was returned",
                    lines=["North returned it: the drawing revision is missing."],
                    action=("Open the requirement", "https://baton.example/r/7"),
                    user_ids=[sourcing.id],
                    to=[f"extra.{world.suffix}@example.com"],
                    tenant_id=world.orgs["acme"],
                    entity=("requirement", "7"),
                )
            ids = session.info.pop("outbox_ids")
            session.commit()
        finally:
            session.close()
        drain_inline(ids)
    assert len(ids) == 1
    (mail_file,) = _mails_to(app, world.email("acme_sourcing"))
    text = mail_file.read_text()
    assert "REQ-7 was returned" in text and "drawing revision is missing" in text
    assert len(_mails_to(app, f"extra.{world.suffix}@example.com")) == 1
    row = _row(app, ids[0])
    assert (row.entity_type, row.entity_id) == ("requirement", "7")
