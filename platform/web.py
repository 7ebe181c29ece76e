"""The request lifecycle: one session and one transaction per request.

The transaction commits only when the response is a success (status below
400), so a rejected form or API call changes nothing. Outbox rows written in
it are handed to the job runner after the commit, never before.
"""

from __future__ import annotations

import time

import structlog
from flask import Flask, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.orm import Session

from baton.platform import jobs, planner
from baton.platform.db import db, set_context
from baton.platform.inputs import check_json_body
from baton.platform.request_context import actor_var, new_request_id, request_id_var
from baton.platform.tenancy import NO_CONTEXT

log = structlog.get_logger("baton.request")

QUIET_ENDPOINTS = frozenset({"health.healthz", "health.readyz"})


def dbs() -> Session:
    """The request's database session, created on first use."""
    if "db_session" not in g:
        g.db_session = db.new_session(NO_CONTEXT)
    return g.db_session


def _before() -> None:
    from baton.platform.auth import resolve_identity

    g.started = time.perf_counter()
    rid = request.headers.get("X-Request-ID", "")[:64] or new_request_id()
    g.request_id_token = request_id_var.set(rid)
    if request.endpoint in {"health.healthz", "health.readyz", "static", "bootstrap.static"}:
        return
    if request.is_json and request.method in ("POST", "PUT", "PATCH"):
        # Before any handler parses it: a body too deep for the parser, or text
        # that is not Unicode, would otherwise surface as a 500 far below.
        check_json_body(request.get_data(cache=True))
    if planner.wanted_by(current_app.view_functions.get(request.endpoint), request.args):
        planner.expect_index_walk(dbs())
    ident = resolve_identity()
    g.identity = ident
    g.actor_token = actor_var.set(ident.actor)
    set_context(dbs(), ident.context)


def refuse() -> None:
    """The request's action was refused: undo what it wrote, now (so the page that
    follows, a re-rendered form or the page a redirect leads to, shows the
    state before it) and for good (the request commits none of it, whatever
    its status). The one place a refusal touches the transaction; views call
    this, or ``pages.refused``, never ``rollback``."""
    g.rollback_only = True
    session: Session | None = g.get("db_session")
    if session is not None:
        session.rollback()


def _after(response):
    session: Session | None = g.pop("db_session", None)
    refused = g.pop("rollback_only", False)
    if session is not None:
        try:
            if response.status_code < 400 and not refused:
                outbox_ids = session.info.pop("outbox_ids", [])
                session.commit()
                if outbox_ids:
                    dispatch_after_commit(outbox_ids)
            else:
                session.rollback()
        finally:
            session.close()
    response.headers["X-Request-ID"] = request_id_var.get() or ""
    # Static files are not logged, nor load balancers' successful health probes
    # (one every few seconds per balancer would bury the requests people make).
    quiet = request.endpoint in QUIET_ENDPOINTS and response.status_code < 400
    if request.endpoint not in {"static", "bootstrap.static"} and not quiet:
        log.info(
            "request",
            method=request.method,
            path=_path_for_log(),
            status=response.status_code,
            ms=round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1),
        )
    return response


def _path_for_log() -> str:
    """The path with signed-link tokens cut out: an unused invitation or reset
    link read from the logs would otherwise let its reader in."""
    token = (request.view_args or {}).get("token")
    if isinstance(token, str) and token:
        return request.path.replace(token, "[token]")
    return request.path


def _teardown(exc) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
    if "actor_token" in g:
        actor_var.reset(g.pop("actor_token"))
    if "request_id_token" in g:
        request_id_var.reset(g.pop("request_id_token"))


def dispatch_after_commit(outbox_ids: list) -> None:
    """Hand the committed rows on: to the relay with Redis, else run them here.

    Never fails the request: its transaction is committed, and a row that
    cannot be handed on now waits in the outbox for the relay or a worker.
    """
    try:
        jobs.dispatch(outbox_ids)
    except Exception as exc:
        log.warning("dispatch_deferred", error=str(exc)[:300], rows=len(outbox_ids))


# No inline script anywhere (scripts are static files); inline style attributes
# are allowed (Bootstrap's progress bars set widths); nothing may frame a page.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


_SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)
_HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
_NO_STORE = ("Cache-Control", "no-store")


def _security_headers(response):
    """Set by the app itself, so they hold without nginx in front (tests, demo).

    A view may set its own value of any of them (a download's Cache-Control,
    say), which is kept. The names present are read once: werkzeug's
    ``setdefault`` raises and catches a KeyError for every header it then
    adds, and this runs on every response, health probes included."""
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}
    wanted = list(_SECURITY_HEADERS)
    if current_app.config["BATON_SETTINGS"].production:
        wanted.append(_HSTS)
    # Pages and answers for a signed-in person are theirs alone: no shared or
    # back-button cache may keep them after sign-out.
    ident = g.get("identity")
    signed_in = ident is not None and (ident.user is not None or ident.via_token)
    if signed_in and request.endpoint not in {"static", "bootstrap.static"}:
        wanted.append(_NO_STORE)
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
    return response


class SignerOnceSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie sessions build their signer (itsdangerous, with its key
    derivation) on every request, a tenth of a millisecond each time, though
    it changes only with the app's secret keys: build it once per key set."""

    _signer: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._signer
        if cached is None or cached[0] != keys:
            cached = (keys, super().get_signing_serializer(app))
            self._signer = cached  # one assignment: a thread sees the old or the new pair
        return cached[1]


def init_app(app: Flask) -> None:
    from baton.platform.health import LivenessProbe

    headers = list(_SECURITY_HEADERS)
    if app.config["BATON_SETTINGS"].production:
        headers.append(_HSTS)
    app.wsgi_app = LivenessProbe(app.wsgi_app, headers)
    app.session_interface = SignerOnceSessionInterface()
    app.before_request(_before)
    app.after_request(_after)
    app.after_request(_security_headers)
    app.teardown_request(_teardown)
