"""Products and prices: the licensed base fee and graduated, metered usage prices."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from tests.support.stripe_standin.server import STATE, listing, now, params, stripe_error

bp = Blueprint("catalog", __name__)


@bp.post("/v1/products")
def create_product():
    p = params()
    if not p.get("name"):
        return stripe_error(400, "Missing required param: name.", param="name")
    with STATE.lock:
        product = {
            "id": STATE.new_id("prod"),
            "object": "product",
            "created": now(),
            "name": p["name"],
            "active": True,
            "metadata": p.get("metadata", {}),
            "livemode": False,
        }
        STATE.table("products")[product["id"]] = product
    return jsonify(product)


@bp.get("/v1/products/<product_id>")
def retrieve_product(product_id: str):
    product = STATE.table("products").get(product_id)
    if product is None:
        return stripe_error(404, f"No such product: '{product_id}'", param="id")
    return jsonify(product)


def _price_problem(p: dict) -> str | None:
    if not p.get("currency"):
        return "Missing required param: currency."
    if p.get("product") not in STATE.table("products"):
        return f"No such product: '{p.get('product')}'"
    recurring = p.get("recurring") or {}
    if recurring.get("interval") not in ("day", "week", "month", "year"):
        return "Missing required param: recurring[interval]."
    if recurring.get("usage_type") == "metered":
        meter = recurring.get("meter")
        if meter not in STATE.table("meters"):
            return f"No such billing meter: '{meter}'"
    if p.get("billing_scheme") == "tiered":
        tiers = p.get("tiers") or []
        if p.get("tiers_mode") not in ("graduated", "volume") or not tiers:
            return "Tiered prices need tiers_mode and tiers."
        if tiers[-1].get("up_to") != "inf":
            return "The last tier's up_to must be inf."
    elif "unit_amount" not in p and "unit_amount_decimal" not in p:
        return "Missing required param: unit_amount."
    return None


@bp.post("/v1/prices")
def create_price():
    p = params()
    with STATE.lock:
        problem = _price_problem(p)
        if problem:
            return stripe_error(400, problem)
        recurring = p["recurring"]
        price = {
            "id": STATE.new_id("price"),
            "object": "price",
            "created": now(),
            "active": True,
            "currency": p["currency"],
            "product": p["product"],
            "nickname": p.get("nickname"),
            "lookup_key": p.get("lookup_key"),
            "billing_scheme": p.get("billing_scheme", "per_unit"),
            "tiers_mode": p.get("tiers_mode"),
            "tiers": p.get("tiers"),
            "unit_amount": int(p["unit_amount"]) if "unit_amount" in p else None,
            "unit_amount_decimal": p.get("unit_amount_decimal", p.get("unit_amount")),
            "recurring": {
                "interval": recurring["interval"],
                "usage_type": recurring.get("usage_type", "licensed"),
                "meter": recurring.get("meter"),
            },
            "metadata": p.get("metadata", {}),
            "livemode": False,
        }
        STATE.table("prices")[price["id"]] = price
    return jsonify(price)


@bp.get("/v1/prices/<price_id>")
def retrieve_price(price_id: str):
    price = STATE.table("prices").get(price_id)
    if price is None:
        return stripe_error(404, f"No such price: '{price_id}'", param="id")
    return jsonify(price)


@bp.get("/v1/prices")
def list_prices():
    product = request.args.get("product")
    prices = [p for p in STATE.table("prices").values() if product in (None, p["product"])]
    return jsonify(listing(sorted(prices, key=lambda p: p["created"]), request.path))
