"""Reading the client's issue reply form: its fields, its file, a one-time key."""

from __future__ import annotations

import secrets

from flask import request

from baton.procurement.orders.issue_messages import Upload


def fields() -> dict[str, str]:
    return {
        name: request.form.get(name, "") for name in ("message", "form_key") if name in request.form
    }


def upload() -> Upload | None:
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return None
    return Upload(sent.stream, sent.filename)


def new_key() -> str:
    return secrets.token_urlsafe(18)
