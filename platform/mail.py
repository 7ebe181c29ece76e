"""Outgoing email: SMTP in production and tests, .eml files in embedded mode
(``mail_files``).

Every logical message has a stable Message-ID derived from what it is about
(``key``), and a row in the ``sent_mail`` ledger (``mail_ledger``), so a job that runs again
after a crash does not send it again. The ledger is written in its own short
transactions, next to the SMTP conversation:

1. **claim** the Message-ID (committed) with a fresh attempt token;
2. talk to the server up to the end of the message text, *without* the
   final ``.`` line that tells the server the message is complete;
3. **hand over**: move the claim to ``handed_over`` if our token still owns it
   (committed), and only then send the final ``.``;
4. on ``250``, mark it ``sent``.

A worker killed before step 3 leaves a claim and an unfinished SMTP
transaction, which the server discards: the next attempt takes the claim over
and sends. Killed after step 3, the server holds the complete message (the
reply to the ``.`` is its acceptance), so the next attempt does not send it
again and records it as ``unconfirmed``. A second sender racing for the same
Message-ID cannot hand over once the claim was taken from it, so at most one
final ``.`` is ever sent per Message-ID.
"""

from __future__ import annotations

import email.policy
import hashlib
import re
import smtplib
import socket
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

import structlog
from flask import current_app, render_template

from baton.platform.jobs import PermanentJobError
from baton.platform.mail_files import write_eml
from baton.platform.mail_ledger import DUPLICATE, SENT, UNCONFIRMED, Ledger

log = structlog.get_logger("baton.mail")

# Headers folded with CRLF, as SMTP wants them on the wire.
POLICY = email.policy.SMTP


@dataclass
class Attachment:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass
class OutgoingMail:
    """One logical message. ``key`` names what it is about (``po:<id>:rev:2``):
    the same key always gives the same Message-ID, so it is sent once."""

    to: list[str]
    subject: str
    template: str
    context: dict
    key: str
    attachments: list[Attachment] = field(default_factory=list)
    reply_to: str | None = None
    tenant_id: uuid.UUID | None = None
    outbox_id: uuid.UUID | None = None


def _settings():
    return current_app.config["BATON_SETTINGS"]


def message_id(key: str, sender: str | None = None) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = parseaddr(sender or "")[1].rpartition("@")[2] or "baton"
    return f"<{digest}@{domain}>"


def build(mail: OutgoingMail, sender: str) -> EmailMessage:
    """The message: plain text first, HTML as the alternative, then attachments."""
    if not mail.key:
        raise ValueError("every message needs a key: it makes the Message-ID stable")
    msg = EmailMessage(policy=POLICY)
    msg["From"] = sender
    msg["To"] = ", ".join(mail.to)
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = message_id(mail.key, sender)
    if mail.reply_to:
        msg["Reply-To"] = mail.reply_to
    msg.set_content(
        render_template(f"email/{mail.template}.txt", **mail.context), cte="quoted-printable"
    )
    msg.add_alternative(
        render_template(f"email/{mail.template}.html", **mail.context),
        subtype="html",
        cte="quoted-printable",
    )
    for att in mail.attachments:
        maintype, _, subtype = att.content_type.partition("/")
        msg.add_attachment(
            att.content, maintype=maintype, subtype=subtype or "octet-stream", filename=att.filename
        )
    return msg


def send(mail: OutgoingMail) -> str:
    """Deliver one message at most once; returns sent, duplicate or unconfirmed."""
    settings = _settings()
    msg = build(mail, settings.mail_from)
    ledger = Ledger(msg["Message-ID"], mail)
    try:
        if not ledger.claim():
            return ledger.outcome
        if settings.smtp_host:
            outcome = _deliver_smtp(msg, mail, ledger)
        else:
            write_eml(msg)
            ledger.hand_over()
            ledger.confirm()
            outcome = SENT
    finally:
        ledger.close()
    log.info(
        "mail_" + outcome,
        message_id=msg["Message-ID"],
        recipients=len(mail.to),
        tenant_id=str(mail.tenant_id) if mail.tenant_id else None,
    )
    return outcome


# --- SMTP ----------------------------------------------------------------------

_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)
_EOL = re.compile(rb"\r\n|\r|\n")


def _data_without_terminator(msg: EmailMessage) -> bytes:
    """The DATA payload with dot-stuffing and CRLF line ends, minus the final '.' line."""
    data = _EOL.sub(b"\r\n", msg.as_bytes(policy=POLICY))
    data = _LEADING_DOT.sub(b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


def _connect(settings) -> smtplib.SMTP:
    timeout = float(settings.extra.get("SMTP_TIMEOUT", 30))
    if settings.smtp_port == 465:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
        smtp.ehlo()
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        smtp.ehlo()
        if settings.smtp_starttls:
            if not smtp.has_extn("starttls"):
                smtp.close()
                # Refuse to send credentials and mail in clear text when TLS was asked for.
                raise smtplib.SMTPNotSupportedError(
                    "the SMTP server does not offer STARTTLS (set SMTP_STARTTLS=0 to allow plain SMTP)"
                )
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
    if settings.smtp_username:
        smtp.login(settings.smtp_username, settings.smtp_password or "")
    # The message text and its final "." go out as two writes (the ledger commits
    # between them); without this, Nagle holds the "." for the server's delayed ACK.
    smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return smtp


# One open connection per thread, reused for the next message: a worker sending
# a batch pays the TLS handshake and login once, not per message.
_cached = threading.local()
MAX_MESSAGES_PER_CONNECTION = 100
MAX_IDLE_SECONDS = 30.0


def _settings_key(settings) -> tuple:
    return (settings.smtp_host, settings.smtp_port, settings.smtp_starttls, settings.smtp_username)


def _checkout(settings) -> tuple[smtplib.SMTP, bool]:
    entry = getattr(_cached, "entry", None)
    _cached.entry = None
    if entry is not None:
        smtp, key, used, last = entry
        fresh = time.monotonic() - last < MAX_IDLE_SECONDS
        if key == _settings_key(settings) and fresh and used < MAX_MESSAGES_PER_CONNECTION:
            _cached.used = used
            return smtp, True
        smtp.close()
    _cached.used = 0
    return _connect(settings), False


def _checkin(smtp: smtplib.SMTP, settings) -> None:
    _cached.entry = (smtp, _settings_key(settings), _cached.used + 1, time.monotonic())


def _deliver_smtp(msg: EmailMessage, mail: OutgoingMail, ledger: Ledger) -> str:
    settings = _settings()
    sender = parseaddr(settings.mail_from)[1]
    if not mail.to:
        raise PermanentJobError("the message has no recipient")
    smtp, reused = _checkout(settings)
    finished = keep = False
    try:
        try:
            code, reply = smtp.mail(sender)
        except (smtplib.SMTPServerDisconnected, OSError):
            if not reused:
                raise
            code, reply = 421, b"closed"
        if reused and code == 421:
            # The server closed the idle connection; nothing was sent on it.
            smtp.close()
            smtp = _connect(settings)
            code, reply = smtp.mail(sender)
        if code != 250:
            _refused(code, reply, "sender")
        accepted, last = [], (550, b"no recipient")
        for rcpt in mail.to:
            code, reply = smtp.rcpt(parseaddr(rcpt)[1] or rcpt)
            if code in (250, 251):
                accepted.append(rcpt)
            else:
                log.warning("mail_recipient_refused", recipient=rcpt, code=code)
                last = (code, reply)
        if not accepted:
            _refused(*last, "every recipient")
        code, reply = smtp.docmd("DATA")
        if code != 354:
            _refused(code, reply, "DATA")
        smtp.send(_data_without_terminator(msg))
        if not ledger.hand_over():
            # Another attempt took the claim meanwhile: this copy must never be
            # completed, and the connection is dropped below without the ".".
            ledger.outcome = DUPLICATE
            return DUPLICATE
        try:
            smtp.send(b".\r\n")
        except (smtplib.SMTPServerDisconnected, OSError):
            # The connection was gone before the "." went out: not delivered.
            ledger.release()
            raise
        try:
            code, reply = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError):
            ledger.unconfirmed()
            return UNCONFIRMED
        finished = True
        if code != 250:
            ledger.release()
            _refused(code, reply, "the message")
        keep = True
        ledger.confirm()
        return SENT
    finally:
        if keep:
            _checkin(smtp, settings)
        elif finished:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
        else:
            # Mid-DATA, anything but an abrupt close could complete the message.
            smtp.close()


def _refused(code: int, reply: bytes, what: str):
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    message = f"SMTP server refused {what}: {code} {text}"
    if 500 <= code < 600:
        raise PermanentJobError(message)
    raise smtplib.SMTPResponseException(code, message)
