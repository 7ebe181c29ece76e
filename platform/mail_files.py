"""Embedded mode's outbox of mail: each message an .eml file in the instance
folder, which the demo's mail viewer (``platform/dev_views.py``) reads."""

from __future__ import annotations

import email.policy
import re
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path

from flask import current_app

from baton.platform.db import utcnow
from baton.platform.errors import NotFound


def mail_dir() -> Path:
    path = current_app.config["BATON_SETTINGS"].instance_path / "mail"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _eml_name(msg: EmailMessage) -> str:
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    return f"{stamp}-{msg['Message-ID'].strip('<>').split('@')[0][:16]}.eml"


def write_eml(msg: EmailMessage) -> Path:
    """Written under a temporary name and renamed, so no half file is ever listed."""
    folder = mail_dir()
    path = folder / _eml_name(msg)
    tmp = folder / f".{path.name}.tmp"
    tmp.write_bytes(msg.as_bytes(policy=email.policy.SMTP))
    tmp.replace(path)
    return path


_EML_NAME = re.compile(r"^[0-9T]{15}-[0-9a-f]{1,32}\.eml$")


def list_eml(limit: int = 200) -> list[dict]:
    """Newest first: file name, time, sender, recipients, subject."""
    items = []
    for path in sorted(mail_dir().glob("*.eml"), reverse=True)[:limit]:
        msg = message_from_bytes(path.read_bytes(), policy=email.policy.default)
        items.append(
            {
                "name": path.name,
                "to": msg.get("To", ""),
                "subject": msg.get("Subject", ""),
                "date": msg.get("Date", ""),
                "message_id": msg.get("Message-ID", ""),
                "attachments": [a.get_filename() for a in msg.iter_attachments()],
            }
        )
    return items


def read_eml(name: str) -> EmailMessage:
    """One stored message by file name; any other name is not found."""
    if not _EML_NAME.match(name):
        raise NotFound("mail")
    path = mail_dir() / name
    if not path.is_file():
        raise NotFound("mail")
    return message_from_bytes(path.read_bytes(), policy=email.policy.default)
