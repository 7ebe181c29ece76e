"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from baton.platform.db import db, utcnow
from baton.platform.request_context import new_request_id

bp = Blueprint("health", __name__)

# Byte for byte what ``jsonify`` answers.
_ALIVE = json.dumps({"status": "ok"}, separators=(",", ":")).encode() + b"\n"


class LivenessProbe:
    """Answers ``GET /healthz`` before Flask sees the request.

    A liveness probe asks only whether the process answers, and balancers ask
    every few seconds: the request hooks (session cookie, CSRF, identity,
    request log, teardown) cost three times the answer itself and decide
    nothing here. The answer carries what the app's own would: the security
    headers and the request id. Any other method or path, ``/readyz``
    included, goes on to the app; the blueprint's route below stays for them
    and for ``url_for``."""

    def __init__(self, app: Callable, headers: Iterable[tuple[str, str]]) -> None:
        self.app = app
        self.headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(_ALIVE))),
            *headers,
        ]

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/healthz" or environ.get("REQUEST_METHOD") != "GET":
            return self.app(environ, start_response)
        rid = environ.get("HTTP_X_REQUEST_ID", "")[:64] or new_request_id()
        start_response("200 OK", [*self.headers, ("X-Request-ID", rid)])
        return [_ALIVE]


@bp.get("/healthz")
def healthz():
    """The process answers; checks nothing else, so a database outage does
    not make an orchestrator restart healthy web processes."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    settings = current_app.config["BATON_SETTINGS"]
    checks: dict[str, dict] = {}
    ok = True
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        checks["database"] = {"ok": True}
    except Exception as exc:
        ok = False
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    try:
        checks["outbox"] = {"ok": True, **_outbox_state()}
    except Exception as exc:
        # The service role's connection or the schema is broken: jobs cannot run.
        ok = False
        checks["outbox"] = {"ok": False, "error": type(exc).__name__}
    if settings.redis_url:
        try:
            from baton.platform.queues import QUEUE_NAMES, queue, redis_connection

            redis_connection(settings.redis_url).ping()
            checks["redis"] = {
                "ok": True,
                "queue_depth": {
                    name: queue(settings.redis_url, name).count for name in QUEUE_NAMES
                },
            }
        except Exception as exc:
            ok = False
            checks["redis"] = {"ok": False, "error": type(exc).__name__}
    return jsonify(status="ok" if ok else "unavailable", checks=checks), (200 if ok else 503)


def _age(oldest) -> float:
    if oldest is None:
        return 0
    if oldest.tzinfo is None:
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    return round((utcnow() - oldest).total_seconds(), 1)


def _outbox_state() -> dict:
    """How long work has waited: the oldest row not yet relayed (pending) and the
    oldest not yet done (pending or enqueued), leaving out rows due later."""
    from baton.platform.outbox import ENQUEUED, FAILED, PENDING, OutboxMessage

    now = utcnow()
    due = sa.or_(OutboxMessage.available_at.is_(None), OutboxMessage.available_at <= now)
    with db.service_engine.connect() as conn:
        row = conn.execute(
            sa.select(
                sa.func.min(OutboxMessage.created_at).filter(OutboxMessage.status == PENDING),
                sa.func.min(OutboxMessage.created_at),
                sa.func.count(),
            ).where(OutboxMessage.status.in_((PENDING, ENQUEUED)), due)
        ).one()
        failed = conn.execute(
            sa.select(sa.func.count()).where(OutboxMessage.status == FAILED)
        ).scalar()
    return {
        "oldest_pending_seconds": _age(row[0]),
        "oldest_unsent_seconds": _age(row[1]),
        "unsent": row[2],
        "failed": failed,
    }
