"""Billing Meters: create, list, retrieve; v1 meter events (deduplicated by
``identifier``) and the summaries of every meter event, v1 or v2 (the v2
stream is meter_stream.py; both count through ``count_event``)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, jsonify, request

from tests.support.stripe_standin.server import STATE, listing, now, params, stripe_error

bp = Blueprint("meters", __name__)


@bp.post("/v1/billing/meters")
def create():
    p = params()
    missing = [f for f in ("display_name", "event_name") if not p.get(f)]
    if missing or not (p.get("default_aggregation") or {}).get("formula"):
        return stripe_error(
            400, f"Missing required param: {(missing or ['default_aggregation'])[0]}."
        )
    with STATE.lock:
        if any(m["event_name"] == p["event_name"] for m in STATE.table("meters").values()):
            return stripe_error(400, "A meter with this event_name already exists.")
        meter = {
            "id": STATE.new_id("mtr"),
            "object": "billing.meter",
            "created": now(),
            "display_name": p["display_name"],
            "event_name": p["event_name"],
            "default_aggregation": {"formula": p["default_aggregation"]["formula"]},
            "customer_mapping": p.get("customer_mapping")
            or {"event_payload_key": "stripe_customer_id", "type": "by_id"},
            "value_settings": p.get("value_settings") or {"event_payload_key": "value"},
            "status": "active",
            "livemode": False,
        }
        STATE.table("meters")[meter["id"]] = meter
    return jsonify(meter)


@bp.get("/v1/billing/meters")
def list_meters():
    meters = sorted(STATE.table("meters").values(), key=lambda m: m["created"])
    return jsonify(listing(meters, request.path))


@bp.get("/v1/billing/meters/<meter_id>")
def retrieve(meter_id: str):
    meter = STATE.table("meters").get(meter_id)
    if meter is None:
        return stripe_error(404, f"No such billing meter: '{meter_id}'", param="id")
    return jsonify(meter)


# Stripe accepts meter events up to 35 days old and 5 minutes ahead.
MAX_AGE = 35 * 86400
MAX_AHEAD = 5 * 60
_WINDOWS = {"hour": 3600, "day": 86400}


def count_event(event: dict) -> bool:
    """Count ``event`` (its ``timestamp`` in Unix seconds), under ``STATE.lock``;
    False when its identifier was counted before."""
    events = STATE.table("meter_events")
    if event["identifier"] in events:
        return False
    events[event["identifier"]] = event
    key = (event["event_name"], event["payload"].get("stripe_customer_id"))
    STATE.meter_index.setdefault(key, []).append(event)
    return True


def meter_named(event_name: str) -> dict | None:
    return next((m for m in STATE.table("meters").values() if m["event_name"] == event_name), None)


def number(raw: str | None) -> Decimal | None:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, TypeError, ValueError):
        return None
    return value if value.is_finite() and value >= 0 else None


@bp.post("/v1/billing/meter_events")
def create_event():
    """A meter event, validated as Stripe does synchronously; an identifier seen
    before is refused and never counted again (Stripe dedupes by identifier)."""
    p = params()
    event_name = p.get("event_name")
    if not event_name:
        return stripe_error(400, "Missing required param: event_name.", param="event_name")
    meter = meter_named(event_name)
    if meter is None:
        return stripe_error(
            400, f"No active meter was found for event_name '{event_name}'.", param="event_name"
        )
    payload = p.get("payload") or {}
    customer_key = meter["customer_mapping"]["event_payload_key"]
    value_key = meter["value_settings"]["event_payload_key"]
    customer = payload.get(customer_key)
    if not customer or customer not in STATE.table("customers"):
        return stripe_error(
            400,
            f"The payload's {customer_key} does not name a customer: {customer!r}.",
            param=f"payload[{customer_key}]",
        )
    value = number(payload.get(value_key))
    if value is None:
        return stripe_error(
            400,
            f"The payload's {value_key} must be a non-negative number.",
            param=f"payload[{value_key}]",
        )
    timestamp = int(p.get("timestamp") or now())
    if not (now() - MAX_AGE <= timestamp <= now() + MAX_AHEAD):
        return stripe_error(
            400,
            "Timestamp must be within the past 35 calendar days or up to 5 minutes in the future.",
            param="timestamp",
        )
    identifier = p.get("identifier") or STATE.new_id("evt_id")
    with STATE.lock:
        if identifier in STATE.table("meter_events"):
            return stripe_error(
                400,
                f"An event with identifier '{identifier}' already exists; it is not counted again.",
                code="duplicate_meter_event",
                param="identifier",
            )
        event = {
            "object": "billing.meter_event",
            "created": now(),
            "event_name": event_name,
            "identifier": identifier,
            "livemode": False,
            "payload": payload,
            "timestamp": timestamp,
        }
        count_event(event)
    return jsonify(event)


def _aligned(p: dict, name: str, step: int) -> int | None:
    try:
        value = int(p.get(name))
    except (TypeError, ValueError):
        return None
    return value if value % step == 0 else None


@bp.get("/v1/billing/meters/<meter_id>/event_summaries")
def event_summaries(meter_id: str):
    """Sums of the meter's events for one customer over [start_time, end_time),
    one summary, or one per hour or UTC day."""
    meter = STATE.table("meters").get(meter_id)
    if meter is None:
        return stripe_error(404, f"No such billing meter: '{meter_id}'", param="id")
    p = params()
    customer = p.get("customer")
    if not customer:
        return stripe_error(400, "Missing required param: customer.", param="customer")
    window = p.get("value_grouping_window")
    if window is not None and window not in _WINDOWS:
        return stripe_error(
            400, "value_grouping_window must be 'hour' or 'day'.", param="value_grouping_window"
        )
    step = _WINDOWS.get(window, 60)
    bounds = {}
    for name in ("start_time", "end_time"):
        bounds[name] = _aligned(p, name, step)
        if bounds[name] is None:
            return stripe_error(
                400,
                f"{name} is required and must align with {window or 'minute'} boundaries.",
                param=name,
            )
    start, end = bounds["start_time"], bounds["end_time"]
    if end <= start:
        return stripe_error(400, "end_time must be after start_time.", param="end_time")
    customer_key = meter["customer_mapping"]["event_payload_key"]
    value_key = meter["value_settings"]["event_payload_key"]
    if customer_key != "stripe_customer_id":
        return stripe_error(400, "This stand-in maps customers by stripe_customer_id only.")
    with STATE.lock:
        indexed = STATE.meter_index.get((meter["event_name"], customer), [])
        events = [e for e in indexed if start <= e["timestamp"] < end]
    edges = list(range(start, end, _WINDOWS[window])) if window else [start]
    summaries = []
    for i, low in enumerate(edges):
        high = edges[i + 1] if i + 1 < len(edges) else end
        total = sum(
            (Decimal(e["payload"][value_key]) for e in events if low <= e["timestamp"] < high),
            Decimal(0),
        )
        summaries.append(
            {
                "id": f"mtrusg_{meter_id}_{customer}_{low}",
                "object": "billing.meter_event_summary",
                "aggregated_value": float(total),
                "end_time": high,
                "livemode": False,
                "meter": meter_id,
                "start_time": low,
            }
        )
    # Stripe's pages: ``limit`` (1-100, default 10) after ``starting_after``.
    after = p.get("starting_after")
    if after:
        ids = [s["id"] for s in summaries]
        summaries = summaries[ids.index(after) + 1 :] if after in ids else []
    limit = max(1, min(100, int(p.get("limit") or 10)))
    page = listing(summaries[:limit], request.path)
    page["has_more"] = len(summaries) > limit
    return jsonify(page)
