"""The mail module against a real SMTP server: STARTTLS and AUTH, both parts,
attachments, a stable Message-ID, and the ledger states an interrupted
attempt can leave behind."""

from __future__ import annotations

import smtplib
import ssl
import subprocess
import uuid

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import event

from baton.platform import mail
from baton.platform.db import db
from baton.platform.jobs import PermanentJobError
from baton.platform.outbox import SentMail
from baton.platform.tenancy import SERVICE_CONTEXT
from tests.jobs.smtp import SMTPServer, send_through


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


class Logins:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            self.seen.append((auth_data.login.decode(), auth_data.password.decode()))
            if auth_data.password == b"s3cret":
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def _mail(key: str, to: str = "buyer@example.com", **extra) -> mail.OutgoingMail:
    return mail.OutgoingMail(
        to=[to],
        subject="Purchase order ACME-000123",
        template="notification",
        context={
            "subject": "Purchase order ACME-000123",
            "lines": ["Please find the order attached.", "."],
            "action": ["Acknowledge", "https://baton.example/po/1"],
        },
        key=key,
        **extra,
    )


def test_starttls_and_login_deliver_text_html_and_attachment(pg_app, monkeypatch, certificate):
    cert, key = certificate
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    logins = Logins()
    server = SMTPServer(
        tls_context=tls, require_starttls=True, authenticator=logins, auth_require_tls=True
    ).start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        send_through(
            pg_app,
            monkeypatch,
            server.port,
            smtp_host="localhost",
            smtp_starttls=True,
            smtp_username="baton",
            smtp_password="s3cret",
        )
        key_text = f"po:{uuid.uuid4()}:rev:1"
        attachment = mail.Attachment("ACME-000123.pdf", b"%PDF-1.4 order", "application/pdf")
        with pg_app.app_context(), pg_app.test_request_context():
            assert mail.send(_mail(key_text, attachments=[attachment])) == mail.SENT
            expected_id = mail.message_id(key_text, pg_app.config["BATON_SETTINGS"].mail_from)
    finally:
        server.stop()
    assert logins.seen == [("baton", "s3cret")]
    (received,) = server.recorder.messages
    assert received.message_id == expected_id
    from email import message_from_bytes
    from email.policy import default

    msg = message_from_bytes(received.raw, policy=default)
    assert "Please find the order attached." in msg.get_body(("plain",)).get_content()
    assert msg.get_body(("plain",)).get_content().splitlines().count(".") == 1
    assert "https://baton.example/po/1" in msg.get_body(("html",)).get_content()
    (part,) = list(msg.iter_attachments())
    assert part.get_filename() == "ACME-000123.pdf" and part.get_content() == b"%PDF-1.4 order"


def test_starttls_asked_for_but_not_offered_sends_nothing(pg_app, monkeypatch, smtp):
    send_through(pg_app, monkeypatch, smtp.port, smtp_starttls=True, smtp_username="u")
    with (
        pg_app.app_context(),
        pg_app.test_request_context(),
        pytest.raises(smtplib.SMTPNotSupportedError),
    ):
        mail.send(_mail(f"plain:{uuid.uuid4()}"))
    assert smtp.recorder.count() == 0


def _ledger(app, message_id: str, status: str) -> None:
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            session.add(
                SentMail(
                    message_id=message_id,
                    recipients="buyer@example.com",
                    subject="s",
                    status=status,
                    attempt="a-dead-worker",
                )
            )
            session.commit()
        finally:
            session.close()


def _ledger_status(app, message_id: str) -> str:
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            return session.get(SentMail, message_id).status
        finally:
            session.close()


def test_a_first_send_writes_its_ledger_row_in_three_statements(pg_app, monkeypatch, smtp):
    """Claim, hand over, confirm: a fresh Message-ID never takes the path of a
    claim left by an earlier attempt (which reads the row back and rewrites it)."""
    send_through(pg_app, monkeypatch, smtp.port)
    key = f"first:{uuid.uuid4()}"
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split())[:60])

    with pg_app.app_context(), pg_app.test_request_context():
        engine = db.service_engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert mail.send(_mail(key)) == mail.SENT
        finally:
            event.remove(engine, "before_cursor_execute", record)
        message_id = mail.message_id(key, pg_app.config["BATON_SETTINGS"].mail_from)
    assert [s.split()[0] for s in statements] == ["INSERT", "UPDATE", "UPDATE"], statements
    assert smtp.recorder.count(message_id) == 1
    assert _ledger_status(pg_app, message_id) == "sent"


def test_a_claim_left_by_a_dead_attempt_is_taken_over_and_sent(pg_app, monkeypatch, smtp):
    """The earlier attempt stopped before the final '.': the server never had it."""
    send_through(pg_app, monkeypatch, smtp.port)
    key = f"claimed:{uuid.uuid4()}"
    with pg_app.app_context():
        message_id = mail.message_id(key, pg_app.config["BATON_SETTINGS"].mail_from)
    _ledger(pg_app, message_id, "claimed")
    with pg_app.app_context(), pg_app.test_request_context():
        assert mail.send(_mail(key)) == mail.SENT
    assert smtp.recorder.count(message_id) == 1
    assert _ledger_status(pg_app, message_id) == "sent"


def test_a_message_handed_over_by_a_dead_attempt_is_not_sent_again(pg_app, monkeypatch, smtp):
    """The earlier attempt sent the final '.': the server has it, whatever it replied."""
    send_through(pg_app, monkeypatch, smtp.port)
    key = f"handed:{uuid.uuid4()}"
    with pg_app.app_context():
        message_id = mail.message_id(key, pg_app.config["BATON_SETTINGS"].mail_from)
    _ledger(pg_app, message_id, "handed_over")
    with pg_app.app_context(), pg_app.test_request_context():
        assert mail.send(_mail(key)) == mail.UNCONFIRMED
        assert mail.send(_mail(key)) == mail.DUPLICATE
    assert smtp.recorder.count(message_id) == 0
    assert _ledger_status(pg_app, message_id) == "unconfirmed"


class Refusing:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such mailbox"


def test_a_recipient_the_server_refuses_fails_for_good_and_can_be_sent_later(pg_app, monkeypatch):
    from aiosmtpd.controller import Controller

    from tests.support.services import free_port

    port = free_port()
    refusing = Controller(Refusing(), hostname="127.0.0.1", port=port)
    refusing.start()
    send_through(pg_app, monkeypatch, port)
    key = f"refused:{uuid.uuid4()}"
    try:
        with (
            pg_app.app_context(),
            pg_app.test_request_context(),
            pytest.raises(PermanentJobError, match="550"),
        ):
            mail.send(_mail(key))
    finally:
        refusing.stop()
    server = SMTPServer(port=port).start()
    try:
        with pg_app.app_context(), pg_app.test_request_context():
            assert mail.send(_mail(key)) == mail.SENT
    finally:
        server.stop()
    assert server.recorder.count() == 1


def test_the_message_id_depends_on_the_key_only():
    assert mail.message_id("po:1:rev:2") == mail.message_id("po:1:rev:2")
    assert mail.message_id("po:1:rev:2") != mail.message_id("po:1:rev:3")
    assert mail.message_id("k", "Baton <no-reply@example.org>").endswith("@example.org>")
