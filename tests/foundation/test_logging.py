"""Structured logs: one JSON object per line, each carrying the request id
that the response gives back in X-Request-ID, so support can find a user's
request from the reference on an error page."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

from tests.support.world import login


@contextmanager
def captured_log_lines() -> Iterator[list[dict]]:
    """Points the app's own stderr handler at a buffer and parses its lines."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler)
        and isinstance(h.formatter, structlog.stdlib.ProcessorFormatter)
    ]
    assert handlers, "the app did not install its JSON log handler"
    buffer = io.StringIO()
    previous = [h.setStream(buffer) for h in handlers]
    lines: list[dict] = []
    try:
        yield lines
    finally:
        for handler, stream in zip(handlers, previous, strict=True):
            handler.setStream(stream)
        text = buffer.getvalue()
        # Every line is a JSON object: nothing in plain text slips through.
        lines.extend(json.loads(line) for line in text.splitlines() if line.strip())


def test_request_log_line_carries_the_request_id_of_the_response(app):
    client = app.test_client()
    with captured_log_lines() as lines:
        response = client.get("/login")
    request_id = response.headers["X-Request-ID"]
    assert request_id
    request_lines = [line for line in lines if line.get("event") == "request"]
    assert request_lines, lines
    line = request_lines[-1]
    assert line["request_id"] == request_id
    assert line["path"] == "/login"
    assert line["status"] == 200
    assert line["level"] == "info"
    assert "timestamp" in line


def test_request_id_sent_by_the_proxy_is_kept(app):
    client = app.test_client()
    with captured_log_lines() as lines:
        response = client.get("/login", headers={"X-Request-ID": "edge-1234"})
    assert response.headers["X-Request-ID"] == "edge-1234"
    assert any(
        line.get("request_id") == "edge-1234" and line.get("path") == "/login" for line in lines
    )


def test_successful_health_probes_are_not_logged(app):
    client = app.test_client()
    with captured_log_lines() as lines:
        assert client.get("/healthz").status_code == 200
    assert not [line for line in lines if line.get("path") == "/healthz"]


def test_each_request_gets_its_own_id(app):
    client = app.test_client()
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert first and second and first != second


def test_every_line_of_a_signed_in_request_names_the_request_and_actor(app, world):
    client = app.test_client()
    login(client, world.email("acme_admin"))
    with captured_log_lines() as lines:
        response = client.get("/organisation/members")
    assert response.status_code == 200
    request_id = response.headers["X-Request-ID"]
    mine = [line for line in lines if line.get("request_id") == request_id]
    assert mine
    assert all(line.get("actor", "").startswith("user:") for line in mine)


def test_signed_link_tokens_stay_out_of_the_logs(app):
    """Whoever reads the logs must not be able to use an unused reset link."""
    from baton.platform.signing import sign

    with app.test_request_context():
        token = sign("reset", {"id": "00000000-0000-0000-0000-000000000000", "fp": "x"})
    client = app.test_client()
    with captured_log_lines() as lines:
        client.get(f"/password/reset/{token}")
        client.get(f"/invitations/{token}")
    paths = [line["path"] for line in lines if line.get("event") == "request"]
    assert paths == ["/password/reset/[token]", "/invitations/[token]"]
    assert not any(token in json.dumps(line) for line in lines)


def test_log_level_comes_from_the_environment(app, monkeypatch):
    from baton.platform.logging_setup import configure_logging

    monkeypatch.setenv("BATON_LOG_LEVEL", "warning")
    configure_logging()
    try:
        with captured_log_lines() as lines:
            app.test_client().get("/login")
        assert not [line for line in lines if line.get("event") == "request"]
    finally:
        monkeypatch.delenv("BATON_LOG_LEVEL")
        configure_logging()
    with captured_log_lines() as lines:
        app.test_client().get("/login")
    assert [line for line in lines if line.get("event") == "request"]
