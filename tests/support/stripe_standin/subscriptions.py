"""Checkout sessions, subscriptions, the billing portal, customer balance
transactions; and the control endpoint that completes a checkout as the
customer would, answering with the ``checkout.session.completed`` event."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from tests.support.stripe_standin.server import STATE, listing, now, params, stripe_error

bp = Blueprint("subscriptions", __name__)


def _line_problem(items: list[dict]) -> str | None:
    if not items:
        return "Missing required param: line_items."
    for i, item in enumerate(items):
        price = STATE.table("prices").get(item.get("price"))
        if price is None:
            return f"No such price: '{item.get('price')}' (line_items[{i}][price])."
        metered = price["recurring"]["usage_type"] == "metered"
        if metered and "quantity" in item:
            return (
                f"line_items[{i}][quantity]: Quantity should not be specified for metered prices."
            )
        if not metered and "quantity" not in item:
            return f"line_items[{i}][quantity]: Quantity is required for licensed prices."
    return None


@bp.post("/v1/checkout/sessions")
def create_checkout():
    p = params()
    with STATE.lock:
        if p.get("mode") != "subscription":
            return stripe_error(400, "This stand-in supports mode=subscription only.", param="mode")
        if p.get("customer") not in STATE.table("customers"):
            return stripe_error(400, f"No such customer: '{p.get('customer')}'", param="customer")
        for url in ("success_url", "cancel_url"):
            if not p.get(url):
                return stripe_error(400, f"Missing required param: {url}.", param=url)
        problem = _line_problem(p.get("line_items") or [])
        if problem:
            return stripe_error(400, problem, param="line_items")
        session = {
            "id": STATE.new_id("cs_test"),
            "object": "checkout.session",
            "created": now(),
            "mode": "subscription",
            "customer": p["customer"],
            "client_reference_id": p.get("client_reference_id"),
            "metadata": p.get("metadata", {}),
            "line_items": p["line_items"],
            "success_url": p["success_url"],
            "cancel_url": p["cancel_url"],
            "status": "open",
            "payment_status": "unpaid",
            "subscription": None,
            "livemode": False,
        }
        session["url"] = f"{request.host_url}_standin/checkout/{session['id']}"
        STATE.table("checkout_sessions")[session["id"]] = session
    return jsonify(session)


@bp.get("/v1/checkout/sessions/<session_id>")
def retrieve_checkout(session_id: str):
    session = STATE.table("checkout_sessions").get(session_id)
    if session is None:
        return stripe_error(404, f"No such checkout.session: '{session_id}'", param="id")
    return jsonify(session)


@bp.get("/_standin/checkout/<session_id>")
def checkout_page(session_id: str):
    session = STATE.table("checkout_sessions").get(session_id)
    if session is None:
        return "No such checkout session", 404
    return f"<h1>Stripe Checkout (stand-in)</h1><p>{session_id}</p>"


@bp.post("/_standin/checkout/<session_id>/complete")
def complete_checkout(session_id: str):
    """Pay as the customer would: the subscription is made from the session's
    lines, and the event Stripe would send is returned (for the test to sign)."""
    with STATE.lock:
        session = STATE.table("checkout_sessions").get(session_id)
        if session is None or session["status"] != "open":
            return stripe_error(400, "The checkout session is not open.")
        subscription = {
            "id": STATE.new_id("sub"),
            "object": "subscription",
            "created": now(),
            "customer": session["customer"],
            "status": "active",
            "cancel_at_period_end": False,
            "metadata": session["metadata"],
            "items": listing(
                [
                    {
                        "id": STATE.new_id("si"),
                        "object": "subscription_item",
                        "price": STATE.table("prices")[item["price"]],
                        "quantity": int(item["quantity"]) if "quantity" in item else None,
                    }
                    for item in session["line_items"]
                ],
                "/v1/subscription_items",
            ),
            "livemode": False,
        }
        STATE.table("subscriptions")[subscription["id"]] = subscription
        session.update(status="complete", payment_status="paid", subscription=subscription["id"])
        event = {
            "id": STATE.new_id("evt"),
            "object": "event",
            "type": "checkout.session.completed",
            "created": now(),
            "api_version": "2025-03-31.basil",
            "data": {"object": {k: v for k, v in session.items() if k != "line_items"}},
            "livemode": False,
        }
    return jsonify(event)


def _subscription(subscription_id: str):
    return STATE.table("subscriptions").get(subscription_id)


@bp.get("/v1/subscriptions/<subscription_id>")
def retrieve_subscription(subscription_id: str):
    sub = _subscription(subscription_id)
    if sub is None:
        return stripe_error(404, f"No such subscription: '{subscription_id}'", param="id")
    return jsonify(sub)


@bp.post("/v1/subscriptions/<subscription_id>")
def update_subscription(subscription_id: str):
    with STATE.lock:
        sub = _subscription(subscription_id)
        if sub is None:
            return stripe_error(404, f"No such subscription: '{subscription_id}'", param="id")
        p = params()
        if "cancel_at_period_end" in p:
            sub["cancel_at_period_end"] = p["cancel_at_period_end"] == "true"
        sub["metadata"] = {**sub["metadata"], **p.get("metadata", {})}
    return jsonify(sub)


@bp.delete("/v1/subscriptions/<subscription_id>")
def cancel_subscription(subscription_id: str):
    with STATE.lock:
        sub = _subscription(subscription_id)
        if sub is None:
            return stripe_error(404, f"No such subscription: '{subscription_id}'", param="id")
        sub["status"] = "canceled"
        sub["canceled_at"] = now()
    return jsonify(sub)


@bp.post("/v1/billing_portal/sessions")
def create_portal():
    p = params()
    with STATE.lock:
        if p.get("customer") not in STATE.table("customers"):
            return stripe_error(400, f"No such customer: '{p.get('customer')}'", param="customer")
        portal = {
            "id": STATE.new_id("bps"),
            "object": "billing_portal.session",
            "created": now(),
            "customer": p["customer"],
            "return_url": p.get("return_url"),
            "livemode": False,
        }
        portal["url"] = f"{request.host_url}_standin/portal/{portal['id']}"
        STATE.table("portal_sessions")[portal["id"]] = portal
    return jsonify(portal)


@bp.post("/v1/customers/<customer_id>/balance_transactions")
def create_balance_transaction(customer_id: str):
    p = params()
    with STATE.lock:
        customer = STATE.table("customers").get(customer_id)
        if customer is None:
            return stripe_error(404, f"No such customer: '{customer_id}'", param="customer")
        try:
            amount = int(p.get("amount", ""))
        except ValueError:
            return stripe_error(400, "Invalid integer: amount.", param="amount")
        if not p.get("currency"):
            return stripe_error(400, "Missing required param: currency.", param="currency")
        customer["balance"] += amount
        txn = {
            "id": STATE.new_id("cbtxn"),
            "object": "customer_balance_transaction",
            "created": now(),
            "customer": customer_id,
            "amount": amount,
            "currency": p["currency"],
            "description": p.get("description"),
            "metadata": p.get("metadata", {}),
            "ending_balance": customer["balance"],
            "type": "adjustment",
            "livemode": False,
        }
        STATE.table("balance_transactions")[txn["id"]] = txn
    return jsonify(txn)


@bp.get("/v1/customers/<customer_id>/balance_transactions")
def list_balance_transactions(customer_id: str):
    txns = [t for t in STATE.table("balance_transactions").values() if t["customer"] == customer_id]
    return jsonify(listing(sorted(txns, key=lambda t: t["created"]), request.path))
