"""Reading an issue form: its fields as a plain dict, its file as an Upload,
and a one-time key for the next form a page renders."""

from __future__ import annotations

import secrets

from flask import request

from baton.procurement.orders.issue_messages import Upload

FIELDS = ("cause", "line_no", "title", "message", "to", "form_key", "issue_id")


def fields() -> dict[str, str]:
    return {name: request.form.get(name, "") for name in FIELDS if name in request.form}


def upload() -> Upload | None:
    """The attached file, if one was chosen (an empty file input sends no name)."""
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return None
    return Upload(sent.stream, sent.filename)


def new_key() -> str:
    return secrets.token_urlsafe(18)
