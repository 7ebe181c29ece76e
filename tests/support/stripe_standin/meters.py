"""Billing Meters: create, list, retrieve. (Meter events and their summaries
are added beside these.)"""

from __future__ import annotations

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
