"""The Stripe client: one configured ``StripeClient`` per process, or none.

Billing talks to Stripe only through ``stripe_client()``. With no API key (the
embedded demo, a developer's machine) there is no client: usage is still
metered into the ledger, nothing is pushed, and the billing pages say so.
``BATON_STRIPE_API_BASE`` points the real library at another address (the
test suite's stand-in for api.stripe.com), so the code that runs in tests is
the library's own, request by request.
"""

from __future__ import annotations

from functools import cache

import stripe
from flask import current_app

# Network-level retries inside the library (429s honour Retry-After, 5xx back
# off); a job that still fails is retried by RQ with the same idempotency keys.
NETWORK_RETRIES = 2


@cache
def _client(api_key: str, api_base: str | None) -> stripe.StripeClient:
    addresses = {"api": api_base} if api_base else None
    return stripe.StripeClient(
        api_key, base_addresses=addresses, max_network_retries=NETWORK_RETRIES
    )


def stripe_client() -> stripe.StripeClient | None:
    """The configured client; None when billing runs without Stripe."""
    key = current_app.config.get("BATON_STRIPE_API_KEY")
    if not key:
        return None
    return _client(key, current_app.config.get("BATON_STRIPE_API_BASE"))


def pushing_enabled() -> bool:
    return bool(current_app.config.get("BATON_STRIPE_API_KEY"))


def webhook_secret() -> str | None:
    return current_app.config.get("BATON_STRIPE_WEBHOOK_SECRET") or None
