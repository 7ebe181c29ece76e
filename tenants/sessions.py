"""Browser sessions that the server can end.

Flask's session is a signed cookie: on its own, a copied cookie would keep
working after sign-out, for as long as it lasts. So a session remembers the
person's ``session_version`` when it starts, and every request checks it,
with an idle and an absolute lifetime: signing out, a new password and a
deactivated membership raise the version, and every copy of every session of
that person stops working at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, session

from baton.platform.db import utcnow
from baton.tenants.models import User

VERSION, STARTED, SEEN = "sv", "started", "seen"
# The last-seen time is rewritten at most this often (it re-sends the cookie).
SEEN_RESOLUTION = timedelta(minutes=1)


def start(user: User) -> None:
    """Call right after ``login_user``: the session belongs to this version."""
    now = utcnow().isoformat()
    session[VERSION] = user.session_version
    session[STARTED] = now
    session[SEEN] = now


def _time(key: str) -> datetime | None:
    try:
        return datetime.fromisoformat(session[key])
    except (KeyError, TypeError, ValueError):
        return None


def valid(user: User) -> bool:
    """Whether this request's session still stands for ``user``."""
    if session.get(VERSION) != user.session_version:
        return False
    started, seen, now = _time(STARTED), _time(SEEN), utcnow()
    if started is None or seen is None:
        return False
    config = current_app.config
    if now - started > timedelta(days=config["BATON_SESSION_MAX_DAYS"]):
        return False
    if now - seen > timedelta(hours=config["BATON_SESSION_IDLE_HOURS"]):
        return False
    if now - seen > SEEN_RESOLUTION:
        session[SEEN] = now.isoformat()
    return True


def end_all(user: User) -> None:
    """End every session of ``user``, on every device, at the caller's commit."""
    user.session_version = (user.session_version or 0) + 1
