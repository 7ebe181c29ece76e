"""Outgoing email: SMTP in production and tests, .eml files in embedded mode.

Every logical message has a stable Message-ID derived from what it is about,
so a retried job produces the same message and duplicates can be detected at
the server.
"""

from __future__ import annotations

import hashlib
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template


@dataclass
class Attachment:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass
class OutgoingMail:
    to: list[str]
    subject: str
    template: str
    context: dict
    key: str
    attachments: list[Attachment] = field(default_factory=list)


def message_id(key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@baton>"


def build(mail: OutgoingMail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(mail.to)
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = message_id(mail.key) if mail.key else make_msgid()
    msg.set_content(render_template(f"email/{mail.template}.txt", **mail.context))
    msg.add_alternative(
        render_template(f"email/{mail.template}.html", **mail.context), subtype="html"
    )
    for att in mail.attachments:
        maintype, _, subtype = att.content_type.partition("/")
        msg.add_attachment(
            att.content, maintype=maintype, subtype=subtype or "octet-stream", filename=att.filename
        )
    return msg


def mail_dir() -> Path:
    settings = current_app.config["BATON_SETTINGS"]
    path = settings.instance_path / "mail"
    path.mkdir(parents=True, exist_ok=True)
    return path


def send(mail: OutgoingMail) -> str:
    """Deliver one message; returns its Message-ID."""
    settings = current_app.config["BATON_SETTINGS"]
    msg = build(mail, settings.mail_from)
    if settings.smtp_host:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            smtp.ehlo()
            if settings.smtp_starttls and smtp.has_extn("starttls"):
                smtp.starttls()
                smtp.ehlo()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            smtp.send_message(msg)
    else:
        name = msg["Message-ID"].strip("<>").split("@")[0] + ".eml"
        (mail_dir() / name).write_bytes(msg.as_bytes())
    return msg["Message-ID"]
