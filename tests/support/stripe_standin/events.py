"""Thin events (v2 event destinations): the meter error report, and ``/v2/core/events``.

Stripe tells an event destination with a *thin* payload that something
happened (id, type, time, the related object) and nothing more; the receiver
fetches the event itself (``GET /v2/core/events/<id>``) to learn what.

* ``POST /_standin/meter_error_reports`` (control API): for each meter with
  stream events dropped since the last report (``meter_event_errors``, from
  meter_stream.py), makes the ``v1.billing.meter.error_report_triggered``
  event Stripe would (``reason.error_types`` per code, with at most
  ``samples`` sample errors each naming the event's identifier) and marks
  those errors reported. JSON in: ``secret`` (the destination's signing
  secret), optional ``customer`` (only that customer's errors), ``samples``
  (default 10) and ``timestamp`` (of the signature). Answer: ``{"deliveries":
  [{"id", "body", "signature"}]}``, each body the thin payload as Stripe
  sends it, signed as Stripe signs (``t=...,v1=...``).
* ``GET /v2/core/events/<id>`` (secret key): the full event, ``data`` included.
  Errors that name no meter are not reported here: Stripe sends another event
  for them (``v1.billing.meter.no_meter_found``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import Blueprint, jsonify, request

from tests.support.stripe_standin import sign
from tests.support.stripe_standin.meters import meter_named
from tests.support.stripe_standin.server import STATE, now, v2_error

bp = Blueprint("events", __name__)

ERROR_REPORT = "v1.billing.meter.error_report_triggered"


def _stamp(seconds: int | float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _report(meter: dict, errors: list[dict], samples: int) -> dict:
    codes: dict[str, list[dict]] = {}
    for error in errors:
        codes.setdefault(error["code"], []).append(error)
    noun = "event" if len(errors) == 1 else "events"
    return {
        "id": STATE.new_id("evt_test"),
        "object": "v2.core.event",
        "type": ERROR_REPORT,
        "created": _stamp(now()),
        "livemode": False,
        "context": None,
        "reason": None,
        "related_object": {
            "id": meter["id"],
            "type": "billing.meter",
            "url": f"/v1/billing/meters/{meter['id']}",
        },
        "data": {
            "developer_message_summary": f"There {'is' if len(errors) == 1 else 'are'}"
            f" {len(errors)} invalid {noun}",
            "reason": {
                "error_count": len(errors),
                "error_types": [
                    {
                        "code": code,
                        "error_count": len(found),
                        "sample_errors": [
                            {
                                "error_message": e["message"],
                                "request": {"identifier": e["identifier"]},
                            }
                            for e in found[:samples]
                        ],
                    }
                    for code, found in codes.items()
                ],
            },
            "validation_start": _stamp(min(e["at"] for e in errors)),
            "validation_end": _stamp(now() + 1),
        },
    }


def thin(event: dict) -> dict:
    """What a thin event destination receives: the event without its ``data``."""
    return {k: v for k, v in event.items() if k != "data"}


@bp.post("/_standin/meter_error_reports")
def meter_error_reports():
    body = request.get_json(silent=True) or {}
    secret = body.get("secret")
    if not secret:
        return jsonify({"error": "secret is required"}), 400
    customer = body.get("customer")
    samples = int(body.get("samples") or 10)
    deliveries = []
    with STATE.lock:
        by_meter: dict[str, list[dict]] = {}
        for error in STATE.table("meter_event_errors").values():
            if error.get("reported") or (customer and error.get("customer") != customer):
                continue
            if meter_named(error["event_name"]) is not None:
                by_meter.setdefault(error["event_name"], []).append(error)
        for event_name, errors in by_meter.items():
            event = _report(meter_named(event_name), errors, samples)
            STATE.table("v2_events")[event["id"]] = event
            for error in errors:
                error["reported"] = True
            text = json.dumps(thin(event))
            deliveries.append(
                {
                    "id": event["id"],
                    "body": text,
                    "signature": sign(text.encode(), secret, body.get("timestamp")),
                }
            )
    return jsonify({"deliveries": deliveries})


@bp.get("/v2/core/events/<event_id>")
def retrieve(event_id: str):
    with STATE.lock:
        event = STATE.table("v2_events").get(event_id)
    if event is None:
        return v2_error(404, f"No such event: '{event_id}'.", "invalid_request_error", "not_found")
    return jsonify(event)
