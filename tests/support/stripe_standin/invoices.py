"""Invoices: list (by customer) and retrieve, as Stripe answers them; tests make
one for a customer through the control API (``POST /_standin/invoices``),
since in Stripe invoices come from subscriptions, not from the app."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from tests.support.stripe_standin.server import STATE, listing, now, stripe_error

bp = Blueprint("invoices", __name__)


@bp.get("/v1/invoices")
def list_invoices():
    customer = request.args.get("customer")
    limit = int(request.args.get("limit", 10))
    with STATE.lock:
        found = [
            i
            for i in STATE.table("invoices").values()
            if customer is None or i["customer"] == customer
        ]
    found.sort(key=lambda i: (i["created"], i["id"]), reverse=True)
    return jsonify(listing(found[:limit], "/v1/invoices"))


@bp.get("/v1/invoices/<invoice_id>")
def retrieve(invoice_id: str):
    invoice = STATE.table("invoices").get(invoice_id)
    if invoice is None:
        return stripe_error(404, f"No such invoice: '{invoice_id}'", param="id")
    return jsonify(invoice)


@bp.post("/_standin/invoices")
def make_invoice():
    """Control: ``{"customer", "amount_due" (minor units), "currency", "status",
    "number", "period_start", "period_end"}``."""
    body = request.get_json()
    with STATE.lock:
        invoice_id = STATE.new_id("in")
        created = int(body.get("created") or now())
        invoice = {
            "id": invoice_id,
            "object": "invoice",
            "customer": body["customer"],
            "created": created,
            "number": body.get("number") or f"BATON-{invoice_id[-6:].upper()}",
            "status": body.get("status", "paid"),
            "currency": body.get("currency", "eur"),
            "amount_due": int(body.get("amount_due", 0)),
            "amount_paid": int(body.get("amount_paid", body.get("amount_due", 0))),
            "total": int(body.get("amount_due", 0)),
            "period_start": int(body.get("period_start") or created),
            "period_end": int(body.get("period_end") or created),
            "invoice_pdf": f"https://pay.stripe.test/invoice/{invoice_id}/pdf",
            "hosted_invoice_url": f"https://invoice.stripe.test/i/{invoice_id}",
            "livemode": False,
        }
        STATE.table("invoices")[invoice_id] = invoice
    return jsonify(invoice)
