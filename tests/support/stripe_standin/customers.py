"""Customers: create, retrieve, update (metadata)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from tests.support.stripe_standin.server import STATE, now, params, stripe_error

bp = Blueprint("customers", __name__)


@bp.post("/v1/customers")
def create():
    p = params()
    with STATE.lock:
        customer = {
            "id": STATE.new_id("cus"),
            "object": "customer",
            "created": now(),
            "email": p.get("email"),
            "name": p.get("name"),
            "metadata": p.get("metadata", {}),
            "balance": 0,
            "livemode": False,
        }
        STATE.table("customers")[customer["id"]] = customer
    return jsonify(customer)


@bp.get("/v1/customers/<customer_id>")
def retrieve(customer_id: str):
    customer = STATE.table("customers").get(customer_id)
    if customer is None:
        return stripe_error(404, f"No such customer: '{customer_id}'", param="id")
    return jsonify(customer)


@bp.post("/v1/customers/<customer_id>")
def update(customer_id: str):
    with STATE.lock:
        customer = STATE.table("customers").get(customer_id)
        if customer is None:
            return stripe_error(404, f"No such customer: '{customer_id}'", param="id")
        p = params()
        for field in ("email", "name"):
            if field in p:
                customer[field] = p[field]
        customer["metadata"] = {**customer["metadata"], **p.get("metadata", {})}
    return jsonify(customer)
