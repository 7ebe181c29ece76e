"""The Stripe client: one configured ``StripeClient`` per process, or none.

Billing talks to Stripe only through ``stripe_client()``. With no API key (the
embedded demo, a developer's machine) there is no client: usage is still
metered into the ledger, nothing is pushed, and the billing pages say so.
``BATON_STRIPE_API_BASE`` points the real library at another address (the
test suite's stand-in for api.stripe.com), so the code that runs in tests is
the library's own, request by request.

The v2 meter event stream lives on its own host (meter-events.stripe.com)
and authenticates with a short-lived session token instead of the secret
key, so it gets its own client per token (``meter_stream_client``), on
``BATON_STRIPE_METER_EVENTS_BASE`` (default: the API base when that is set,
so the stand-in answers both, else Stripe's own host).
"""

from __future__ import annotations

from functools import cache

import stripe
from flask import current_app

# Network-level retries inside the library (5xx and connection errors back
# off); a job that still fails is retried by RQ with the same idempotency keys.
NETWORK_RETRIES = 2


@cache
def _client(api_key: str, api_base: str | None, meter_events_base: str) -> stripe.StripeClient:
    addresses: dict = {"meter_events": meter_events_base}
    if api_base:
        addresses["api"] = api_base
    return stripe.StripeClient(
        api_key, base_addresses=addresses, max_network_retries=NETWORK_RETRIES
    )


@cache
def _stream_http() -> stripe.HTTPClient:
    # One HTTP client for every session token's client: its keep-alive
    # connections (one requests.Session per thread) outlive a token refresh.
    return stripe.RequestsClient()


def meter_events_base() -> str:
    config = current_app.config
    return (
        config.get("BATON_STRIPE_METER_EVENTS_BASE")
        or config.get("BATON_STRIPE_API_BASE")
        or stripe.DEFAULT_METER_EVENTS_API_BASE
    )


def stripe_client() -> stripe.StripeClient | None:
    """The configured client; None when billing runs without Stripe."""
    key = current_app.config.get("BATON_STRIPE_API_KEY")
    if not key:
        return None
    return _client(key, current_app.config.get("BATON_STRIPE_API_BASE"), meter_events_base())


def meter_stream_client(token: str, base: str) -> stripe.StripeClient:
    """A client whose key is a meter event session's token, for
    ``v2.billing.meter_event_stream`` on ``base`` (``meter_events_base()``)."""
    return stripe.StripeClient(
        token,
        base_addresses={"meter_events": base},
        max_network_retries=NETWORK_RETRIES,
        http_client=_stream_http(),
    )


def pushing_enabled() -> bool:
    return bool(current_app.config.get("BATON_STRIPE_API_KEY"))


def webhook_secret() -> str | None:
    return current_app.config.get("BATON_STRIPE_WEBHOOK_SECRET") or None


def thin_webhook_secret() -> str | None:
    """The signing secret of the event destination that sends thin events."""
    return current_app.config.get("BATON_STRIPE_THIN_WEBHOOK_SECRET") or None
