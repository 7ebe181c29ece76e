"""The stand-in for the Stripe API: real HTTP, Stripe's encoding, Stripe's answers.

The app reaches it through ``StripeClient(base_addresses={"api": ...,
"meter_events": ...})`` (``BATON_STRIPE_API_BASE``,
``BATON_STRIPE_METER_EVENTS_BASE``), so every request is made by the real
library.
It runs as its own process (``python -m tests.support.stripe_standin.server
--port N``), started once per test process by ``stripe_server`` in
tests/conftest.py, and keeps its state in memory:

* every request is checked (secret key, or a live meter event session's
  token on the v2 stream; method and path known; POSTs carry an
  ``Idempotency-Key``; v2 requests a ``Stripe-Version`` and a JSON body, as
  stripe-python sends them) and recorded: method, path, the decoded form
  parameters or the v2 JSON body, the key and the answer's status;
* a POST replayed with the same key gets the first answer back unchanged; the
  same key with other parameters is refused (400 ``idempotency_error``), as
  Stripe does; answers that never reached the endpoint (401, 429) are not
  kept, so a retry after them runs;
* faults can be queued through the control API: the next n requests whose
  path starts with a prefix answer 429 (with ``Retry-After``) or 500;
* a stall holds every request to a prefix after the first n until released,
  so a test can kill a client mid-way (the held requests then complete, as a
  server that had them would);
* resources live in ``STATE.objects[kind][id]``; their routes are blueprints
  in the modules of this package (``RESOURCE_MODULES``).

Control API, for tests only, under ``/_standin`` (no key needed): ``GET
state``, ``GET requests``, ``POST faults``, ``POST reset``, ``POST stall``,
``GET stall``, ``POST release``; ``POST meter_event_sessions/expire``
(meter_stream.py); ``POST meter_error_reports`` (events.py: the signed thin
events Stripe sends about stream events it dropped).

It serves on one process with a thread per connection (werkzeug's threaded
server, keep-alive): state is plain dicts under one lock, so the control API
reads what the app wrote. The hot paths are constant time per request: the
parameters are decoded once per request, meter events are indexed by meter
and customer for the summaries.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

RESOURCE_MODULES = (
    "customers",
    "meters",
    "meter_stream",
    "events",
    "invoices",
    "catalog",
    "subscriptions",
)
METER_STREAM = "/v2/billing/meter_event_stream"


@dataclass
class Fault:
    path_prefix: str
    status: int
    count: int
    retry_after: int | None = None


@dataclass
class Stall:
    path_prefix: str
    after: int
    passed: int = 0
    held: int = 0
    release: threading.Event = field(default_factory=threading.Event)


@dataclass
class State:
    objects: dict[str, dict[str, dict]] = field(default_factory=dict)
    requests: list[dict] = field(default_factory=list)
    idempotent: dict[str, tuple[str, dict, int, Any]] = field(default_factory=dict)
    # Meter events by (event_name, customer), for the summaries (meters.py).
    meter_index: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    stall: Stall | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def table(self, kind: str) -> dict[str, dict]:
        return self.objects.setdefault(kind, {})

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self.counter):06d}{secrets.token_hex(4)}"


STATE = State()


def decode_form(items: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding back into nested values: ``payload[value]=3``,
    ``expand[0]=data``, ``lines[0][price]=p`` become dicts and lists."""
    root: dict = {}
    for raw_key, value in items:
        parts = raw_key.replace("]", "").split("[")
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        if value and all(k.isdigit() for k in value):
            return [_lists(value[k]) for k in sorted(value, key=int)]
        return {k: _lists(v) for k, v in value.items()}
    return value


def is_v2() -> bool:
    return request.path.startswith("/v2/")


def params() -> dict:
    """The request's parameters: the JSON body of a v2 POST, the form of a v1
    POST, the query of a GET; decoded once per request."""
    cached = request.environ.get("standin.params")
    if cached is None:
        if request.method == "POST" and is_v2():
            body = request.get_json(silent=True)
            cached = body if isinstance(body, dict) else {}
        else:
            source = request.form if request.method == "POST" else request.args
            cached = decode_form(list(source.items(multi=True)))
        request.environ["standin.params"] = cached
    return cached


def v2_error(status: int, message: str, kind: str, code: str, param: str | None = None):
    """A v2 API error: ``type`` says which error, ``code`` the specific reason."""
    error = {"type": kind, "code": code, "message": message}
    if param is not None:
        error["param"] = param
    response = jsonify({"error": error})
    response.status_code = status
    return response


def stripe_error(
    status: int, message: str, kind: str = "invalid_request_error", **extra
) -> Response:
    response = jsonify({"error": {"type": kind, "message": message, **extra}})
    response.status_code = status
    return response


def listing(items: list[dict], url: str) -> dict:
    return {"object": "list", "data": items, "has_more": False, "url": url}


def now() -> int:
    return int(time.time())


def create_app() -> Flask:
    app = Flask(__name__)
    control = Blueprint("standin", __name__, url_prefix="/_standin")

    @control.get("/state")
    def state():
        with STATE.lock:
            return jsonify(STATE.objects)

    @control.get("/requests")
    def requests_seen():
        with STATE.lock:
            return jsonify(STATE.requests)

    @control.post("/faults")
    def add_fault():
        body = request.get_json()
        with STATE.lock:
            STATE.faults.append(
                Fault(
                    body["path_prefix"],
                    int(body["status"]),
                    int(body.get("count", 1)),
                    body.get("retry_after"),
                )
            )
        return jsonify({"ok": True})

    @control.post("/stall")
    def add_stall():
        body = request.get_json()
        with STATE.lock:
            STATE.stall = Stall(body["path_prefix"], int(body.get("after", 0)))
        return jsonify({"ok": True})

    @control.get("/stall")
    def stall_state():
        with STATE.lock:
            stall = STATE.stall
            return jsonify({"held": stall.held if stall else 0})

    @control.post("/release")
    def release():
        with STATE.lock:
            stall, STATE.stall = STATE.stall, None
        if stall is not None:
            stall.release.set()
        return jsonify({"ok": True})

    @control.post("/reset")
    def reset():
        with STATE.lock:
            STATE.objects.clear()
            STATE.requests.clear()
            STATE.idempotent.clear()
            STATE.meter_index.clear()
            STATE.faults.clear()
            stall, STATE.stall = STATE.stall, None
        if stall is not None:
            stall.release.set()
        return jsonify({"ok": True})

    app.register_blueprint(control)
    for name in RESOURCE_MODULES:
        module = importlib.import_module(f"tests.support.stripe_standin.{name}")
        app.register_blueprint(module.bp)

    @app.before_request
    def check_and_replay():
        if request.path.startswith("/_standin"):
            return None
        refused = _authenticate()
        if refused is not None:
            return refused
        _hold_if_stalled()
        with STATE.lock:
            fault = next((f for f in STATE.faults if request.path.startswith(f.path_prefix)), None)
            if fault is not None:
                fault.count -= 1
                if fault.count <= 0:
                    STATE.faults.remove(fault)
                _record(fault.status)
                response = stripe_error(
                    fault.status,
                    "Too many requests" if fault.status == 429 else "An unknown error occurred",
                    "invalid_request_error" if fault.status == 429 else "api_error",
                )
                if fault.retry_after is not None:
                    response.headers["Retry-After"] = str(fault.retry_after)
                return response
        if request.method == "POST":
            key = request.headers.get("Idempotency-Key")
            if not key:
                _record(400)
                return stripe_error(
                    400, "This test stand-in requires an Idempotency-Key on every POST."
                )
            with STATE.lock:
                seen = STATE.idempotent.get(key)
            if seen is not None:
                path, seen_params, status, body = seen
                if path != request.path or seen_params != params():
                    _record(400)
                    return stripe_error(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters"
                        " they were first used with.",
                        "idempotency_error",
                    )
                _record(status, replayed=True)
                response = Response(json.dumps(body), status=status, mimetype="application/json")
                response.headers["Idempotent-Replayed"] = "true"
                return response
        return None

    @app.after_request
    def remember(response: Response):
        if request.path.startswith("/_standin") or getattr(request, "_recorded", False):
            return response
        _record(response.status_code)
        key = request.headers.get("Idempotency-Key")
        # Refused before the endpoint ran (a bad token, a rate limit): nothing to replay.
        kept = response.status_code < 500 and response.status_code not in (401, 429)
        if request.method == "POST" and key and kept:
            with STATE.lock:
                STATE.idempotent.setdefault(
                    key, (request.path, params(), response.status_code, response.get_json())
                )
        return response

    @app.errorhandler(404)
    def unknown(_error):
        _record(404)
        return stripe_error(404, f"Unrecognized request URL ({request.method}: {request.path}).")

    return app


def _authenticate() -> Response | None:
    """The secret key everywhere but on the v2 stream, which takes a session
    token; v2 requests must say their API version and send JSON."""
    auth = request.headers.get("Authorization", "")
    if request.path == METER_STREAM:
        from tests.support.stripe_standin.meter_stream import check_token

        refused = check_token(auth.removeprefix("Bearer "))
        if refused is not None:
            _record(refused.status_code)
            return refused
    elif not auth.startswith("Bearer sk_"):
        return stripe_error(401, "Invalid API Key provided.")
    if is_v2() and not request.headers.get("Stripe-Version"):
        _record(400)
        return v2_error(
            400,
            "v2 requests must send a Stripe-Version header.",
            "invalid_request_error",
            "missing_version",
            "Stripe-Version",
        )
    if is_v2() and request.method == "POST" and not request.is_json:
        _record(400)
        return v2_error(
            400,
            "v2 requests take a JSON body (Content-Type: application/json).",
            "invalid_request_error",
            "invalid_body",
        )
    return None


def _hold_if_stalled() -> None:
    with STATE.lock:
        stall = STATE.stall
        if stall is None or not request.path.startswith(stall.path_prefix):
            return
        if stall.passed < stall.after:
            stall.passed += 1
            return
        stall.held += 1
    stall.release.wait(60)


def _record(status: int, replayed: bool = False) -> None:
    request._recorded = True  # type: ignore[attr-defined]
    with STATE.lock:
        STATE.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "params": params(),
                "idempotency_key": request.headers.get("Idempotency-Key"),
                "status": status,
                "replayed": replayed,
                "at": time.time(),
            }
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    from werkzeug.serving import make_server

    # Run as ``-m``, this file is ``__main__``; the resource modules import it by
    # name. Build the app from that one module so everything shares one STATE.
    server = importlib.import_module("tests.support.stripe_standin.server")
    make_server("127.0.0.1", args.port, server.create_app(), threaded=True).serve_forever()


if __name__ == "__main__":
    # Run the imported module, not ``__main__``: the resource modules import
    # STATE from ``tests.support.stripe_standin.server``, and the control API
    # must read that same STATE, not a second copy made by running this file.
    from tests.support.stripe_standin import server

    server.main()
