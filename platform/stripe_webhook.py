"""Stripe's webhook endpoint: check the signature, queue the event, answer at once.

``POST /billing/stripe/webhook`` is public (Stripe signs instead of signing
in) and CSRF-exempt. The signature is checked on the raw body with
``stripe.Webhook.construct_event`` (its default tolerance, 300 s, refuses a
stale replay); a bad or stale signature, or a body that is not an event,
answers 400 and writes nothing. A good event becomes one outbox row keyed by
the event's id, in this request's transaction, so Stripe's retries and
replays of the same event make no second row. What the event means is the
job's business (``billing.stripe_event``, in the tenants area): this module
names no area.

``POST /billing/stripe/thin-webhook`` takes Stripe's *thin* events (a v2 event
destination: id, type, time and related object, no data), signed with that
destination's own secret and parsed by ``StripeClient.parse_event_notification``;
the job fetches the event's data from Stripe. Same outbox, same dedup key.
"""

from __future__ import annotations

import contextlib
import json

import stripe
from flask import Blueprint, jsonify, request
from sqlalchemy.exc import NoResultFound

from baton.platform.extensions import csrf
from baton.platform.outbox import emit
from baton.platform.stripe_client import stripe_client, thin_webhook_secret, webhook_secret
from baton.platform.web import dbs

JOB = "billing.stripe_event"

bp = Blueprint("stripe_webhook", __name__)
csrf.exempt(bp)


def _refused(message: str, status: int = 400):
    return jsonify({"status": status, "message": message}), status


@bp.post("/billing/stripe/webhook")
def receive():
    secret = webhook_secret()
    if secret is None:
        return _refused("Stripe webhooks are not configured (BATON_STRIPE_WEBHOOK_SECRET).", 404)
    payload = request.get_data()
    signature = request.headers.get("Stripe-Signature", "")
    try:
        stripe.Webhook.construct_event(payload, signature, secret)
        event = json.loads(payload)
    except stripe.SignatureVerificationError:
        return _refused("The Stripe-Signature header does not match the body, or is too old.")
    except ValueError:
        return _refused("The body is not a JSON Stripe event.")
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        return _refused("The body is not a Stripe event (no id).")
    _queue(event)
    return jsonify({"received": True})


@bp.post("/billing/stripe/thin-webhook")
def receive_thin():
    secret, client = thin_webhook_secret(), stripe_client()
    if secret is None or client is None:
        # Without a key the job could not fetch what the event is about.
        return _refused(
            "Stripe thin events are not configured"
            " (BATON_STRIPE_THIN_WEBHOOK_SECRET and BATON_STRIPE_API_KEY).",
            404,
        )
    payload = request.get_data()
    signature = request.headers.get("Stripe-Signature", "")
    try:
        client.parse_event_notification(payload, signature, secret)
        event = json.loads(payload)
    except stripe.SignatureVerificationError:
        return _refused("The Stripe-Signature header does not match the body, or is too old.")
    except (ValueError, KeyError, TypeError, AttributeError):
        return _refused("The body is not a Stripe thin event (v2.core.event).")
    _queue(event)
    return jsonify({"received": True})


def _queue(event: dict) -> None:
    # A replay finds the first delivery's row, but a row about no tenant cannot
    # be read back without one (the outbox policy): nothing to add either way.
    with contextlib.suppress(NoResultFound):
        emit(
            dbs(),
            JOB,
            {"event": event},
            entity=("stripe_event", event["id"]),
            dedup_key=f"stripe-event:{event['id']}",
        )
