"""Signed, expiring links (itsdangerous) and API-token hashing."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class LinkError(ValueError):
    """The link is malformed, tampered with or expired; the message says which."""


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"baton.{purpose}")


def sign(purpose: str, payload: dict) -> str:
    return _serializer(purpose).dumps(payload)


def unsign(purpose: str, token: str, max_age: int) -> dict:
    try:
        return _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkError("This link has expired.") from exc
    except BadSignature as exc:
        raise LinkError("This link is not valid.") from exc


API_TOKEN_PREFIX = "bt_"  # noqa: S105 - a marker, not a secret


def new_api_token() -> tuple[str, str, str]:
    """Returns (token shown once, display prefix, stored hash)."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token[:10], hash_api_token(token)


def hash_api_token(token: str) -> str:
    # The token has 256 bits of entropy, so a fast hash is enough; it only
    # has to make a stolen table useless.
    return hashlib.sha256(token.encode()).hexdigest()
