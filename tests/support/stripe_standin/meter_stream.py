"""The v2 meter event stream: sessions, and batches of events validated after the answer.

* ``POST /v2/billing/meter_event_session`` (API base, secret key): a session
  whose ``authentication_token`` is good for 15 minutes, as Stripe's object
  (``v2.billing.meter_event_session``, RFC 3339 times).
* ``POST /v2/billing/meter_event_stream`` (meter-events base, ``Bearer``
  a live token): 1 to 100 events in a JSON body. The shape is checked at once
  (400, a v2 error naming the field, nothing counted); an expired token gets
  401 ``billing_meter_event_session_expired``. Then 202 and ``{}``, and each
  event is processed as Stripe does after answering: an identifier counted
  before is silently not counted again; an event naming no meter or no
  customer, with a bad value or a time outside [35 days ago, 5 minutes
  ahead] is dropped into ``meter_event_errors``, with Stripe's error code,
  until a ``v1.billing.meter.error_report_triggered`` event reports it
  (events.py).
* ``POST /_standin/meter_event_sessions/expire``: the token given
  (``{"token": ...}``), or every token, expires now.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, jsonify, request

from tests.support.stripe_standin.meters import (
    MAX_AGE,
    MAX_AHEAD,
    count_event,
    meter_named,
    number,
)
from tests.support.stripe_standin.server import STATE, now, params, v2_error

bp = Blueprint("meter_stream", __name__)

SESSION_MINUTES = 15
MAX_EVENTS = 100


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse(stamp: object) -> datetime | None:
    if not isinstance(stamp, str) or "T" not in stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


@bp.post("/v2/billing/meter_event_session")
def create_session():
    created = datetime.now(UTC)
    session = {
        "id": STATE.new_id("mes"),
        "object": "v2.billing.meter_event_session",
        "authentication_token": f"mets_{secrets.token_hex(16)}",
        "created": _stamp(created),
        "expires_at": _stamp(created + timedelta(minutes=SESSION_MINUTES)),
        "livemode": False,
    }
    with STATE.lock:
        STATE.table("meter_event_sessions")[session["authentication_token"]] = session
    return jsonify(session)


@bp.post("/_standin/meter_event_sessions/expire")
def expire_sessions():
    stamp = _stamp(datetime.now(UTC) - timedelta(seconds=1))
    token = (request.get_json(silent=True) or {}).get("token")
    with STATE.lock:
        for session in STATE.table("meter_event_sessions").values():
            if token is None or session["authentication_token"] == token:
                session["expires_at"] = stamp
    return jsonify({"ok": True})


def check_token(token: str) -> Response | None:
    """None for a live session's token; else the answer Stripe gives."""
    with STATE.lock:
        session = STATE.table("meter_event_sessions").get(token)
        expires = _parse(session["expires_at"]) if session else None
    if session is None:
        return v2_error(
            401,
            "Invalid or unknown meter event session token.",
            "invalid_request_error",
            "invalid_api_key",
        )
    if expires <= datetime.now(UTC):
        return v2_error(
            401,
            "The temporary session token has expired.",
            "temporary_session_expired",
            "billing_meter_event_session_expired",
        )
    return None


def _malformed(body: dict) -> tuple[str, str] | None:
    """(param, message) of the first field that is not what the API takes."""
    events = body.get("events")
    if not isinstance(events, list) or not events:
        return "events", "events must be a non-empty list."
    if len(events) > MAX_EVENTS:
        return "events", f"A request takes at most {MAX_EVENTS} events, not {len(events)}."
    for i, event in enumerate(events):
        where = f"events[{i}]"
        if not isinstance(event, dict):
            return where, f"{where} must be an object."
        if not isinstance(event.get("event_name"), str) or not event["event_name"]:
            return f"{where}.event_name", f"{where}.event_name is required."
        identifier = event.get("identifier")
        if identifier is not None and (not isinstance(identifier, str) or not identifier):
            return f"{where}.identifier", f"{where}.identifier must be a non-empty string."
        payload = event.get("payload")
        if not isinstance(payload, dict) or not all(isinstance(v, str) for v in payload.values()):
            return f"{where}.payload", f"{where}.payload must be a map of strings."
        if "timestamp" in event and _parse(event["timestamp"]) is None:
            return f"{where}.timestamp", f"{where}.timestamp must be an RFC 3339 timestamp."
    return None


def _problem(event: dict, moment: int) -> tuple[str, str] | None:
    """Why Stripe would drop the event after accepting the request, if it would:
    (Stripe's error code, its message)."""
    meter = meter_named(event["event_name"])
    if meter is None:
        return "no_meter", f"No active meter was found for event_name '{event['event_name']}'."
    payload = event["payload"]
    customer_key = meter["customer_mapping"]["event_payload_key"]
    customer = payload.get(customer_key)
    if not customer:
        return "meter_event_no_customer_defined", f"The payload has no {customer_key}."
    if customer not in STATE.table("customers"):
        return "meter_event_customer_not_found", f"No such customer: '{customer}'."
    value_key = meter["value_settings"]["event_payload_key"]
    if number(payload.get(value_key)) is None:
        return "meter_event_invalid_value", f"The payload's {value_key} is not a valid number."
    if not now() - MAX_AGE <= moment <= now() + MAX_AHEAD:
        if moment < now():
            return "timestamp_too_far_in_past", "The timestamp is more than 35 days old."
        return "timestamp_in_future", "The timestamp is more than 5 minutes ahead."
    return None


@bp.post("/v2/billing/meter_event_stream")
def stream():
    body = params()
    wrong = _malformed(body)
    if wrong is not None:
        param, message = wrong
        return v2_error(400, message, "invalid_request_error", "invalid_fields", param)
    with STATE.lock:
        for event in body["events"]:
            moment = event.get("timestamp")
            seconds = int(_parse(moment).timestamp()) if moment else now()
            identifier = event.get("identifier") or STATE.new_id("mev_id")
            if identifier in STATE.table("meter_events"):
                continue  # counted before: Stripe drops it without a word
            problem = _problem(event, seconds)
            if problem is not None:
                STATE.table("meter_event_errors")[identifier] = {
                    "identifier": identifier,
                    "event_name": event["event_name"],
                    "customer": event["payload"].get("stripe_customer_id"),
                    "code": problem[0],
                    "message": problem[1],
                    "at": now(),
                    # Until a v1.billing.meter.error_report_triggered event names it (events.py).
                    "reported": False,
                }
                continue
            count_event(
                {
                    "object": "v2.billing.meter_event",
                    "created": now(),
                    "event_name": event["event_name"],
                    "identifier": identifier,
                    "livemode": False,
                    "payload": event["payload"],
                    "timestamp": seconds,
                }
            )
    response = jsonify({})
    response.status_code = 202
    return response
