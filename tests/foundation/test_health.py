"""Liveness and readiness as a load balancer or orchestrator sees them."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from baton.platform.app import create_app
from baton.platform.db import db, utcnow
from baton.platform.outbox import PENDING, OutboxMessage
from baton.platform.tenancy import SERVICE_CONTEXT
from tests.support.services import free_port


def _variant(app, tmp_path, **overrides):
    """The same databases as ``app``, with other service settings."""
    settings = app.config["BATON_SETTINGS"]
    return create_app(
        {
            "instance_path": tmp_path,
            "database_url": settings.database_url,
            "service_database_url": settings.service_database_url,
            "migration_database_url": settings.migration_database_url,
            "TESTING": True,
            **overrides,
        }
    )


def test_healthz_answers_without_any_dependency(tmp_path):
    """A database outage must not make an orchestrator restart healthy web processes."""
    dead_db = f"postgresql://baton_app:x@127.0.0.1:{free_port()}/baton"
    app = create_app({"instance_path": tmp_path, "database_url": dead_db, "TESTING": True})
    client = app.test_client()

    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.get_json() == {"status": "ok"}

    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"]["database"]["ok"] is False


def test_readyz_reports_the_database_ready(app):
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["outbox"]["ok"] is True
    # Without REDIS_URL (embedded mode) Redis is not checked at all.
    assert "redis" not in body["checks"]


def test_readyz_reports_how_long_the_oldest_outbox_row_has_waited(app):
    row_id = uuid.uuid4()
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            session.add(
                OutboxMessage(
                    id=row_id,
                    job="tenants.send_invitation",
                    payload={"invitation_id": str(uuid.uuid4())},
                    status=PENDING,
                    created_at=utcnow() - timedelta(hours=2),
                )
            )
            session.commit()
            body = app.test_client().get("/readyz").get_json()
        finally:
            session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id == row_id))
            session.commit()
            session.close()
    assert body["checks"]["outbox"]["ok"] is True
    assert body["checks"]["outbox"]["oldest_pending_seconds"] >= 2 * 3600


def test_readyz_answers_503_naming_redis_when_redis_is_down(app, tmp_path):
    down = _variant(app, tmp_path, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    response = down.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    down.extensions["baton.db"].dispose()


@pytest.mark.redis
def test_readyz_reports_queue_depths_when_redis_is_up(pg_app, redis_url, tmp_path):
    up = _variant(pg_app, tmp_path, redis_url=redis_url)
    response = up.test_client().get("/readyz")
    assert response.status_code == 200
    redis_check = response.get_json()["checks"]["redis"]
    assert redis_check["ok"] is True
    assert set(redis_check["queue_depth"]) == {"high", "default", "low"}
    up.extensions["baton.db"].dispose()


def test_the_liveness_answer_carries_the_security_headers_and_no_session(app):
    """Answered before the request hooks, it must still look like the app's own
    answer to a scanner or a balancer: same headers, the caller's request id,
    and no session cookie set."""
    response = app.test_client().get("/healthz", headers={"X-Request-ID": "probe-7"})
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["X-Request-ID"] == "probe-7"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in response.headers


def test_readiness_and_other_methods_still_reach_the_app(app):
    client = app.test_client()
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
