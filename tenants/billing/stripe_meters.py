"""The Billing Meters in Stripe: one per ledger metric, created when missing.

Each meter sums the ``value`` of events named ``baton_<metric>`` for the
customer named by the payload's ``stripe_customer_id``. ``ensure_meters``
lists what exists first and creates only the missing ones, each with the
idempotency key ``meter:<metric>``, so two workers starting at once (or a
request retried after a lost answer) end with one meter per metric.
"""

from __future__ import annotations

import threading

import stripe

from baton.tenants.billing.ledger import METRICS

_known: dict[int, dict[str, str]] = {}
_lock = threading.Lock()


def event_name(metric: str) -> str:
    return f"baton_{metric}"


def metric_of(event: str) -> str | None:
    metric = event.removeprefix("baton_")
    return metric if metric != event and metric in METRICS else None


def ensure_meters(client: stripe.StripeClient) -> dict[str, str]:
    """Every metric's meter id (``{metric: "mtr_..."}``), creating the missing meters."""
    found: dict[str, str] = {}
    for meter in client.v1.billing.meters.list(params={"limit": 100}).auto_paging_iter():
        metric = metric_of(meter.event_name)
        if metric and meter.status == "active":
            found[metric] = meter.id
    for metric, label in METRICS.items():
        if metric in found:
            continue
        meter = client.v1.billing.meters.create(
            params={
                "display_name": f"Baton: {label}",
                "event_name": event_name(metric),
                "default_aggregation": {"formula": "sum"},
                "customer_mapping": {"event_payload_key": "stripe_customer_id", "type": "by_id"},
                "value_settings": {"event_payload_key": "value"},
            },
            options={"idempotency_key": f"meter:{metric}"},
        )
        found[metric] = meter.id
    return found


def meter_ids(client: stripe.StripeClient) -> dict[str, str]:
    """The meters, ensured once per process and client (the push asks on every run)."""
    with _lock:
        known = _known.get(id(client))
        if known is None or set(known) != set(METRICS):
            known = _known[id(client)] = ensure_meters(client)
        return dict(known)


def forget() -> None:
    """Ask Stripe again next time (a meter was archived, or the stand-in was reset)."""
    with _lock:
        _known.clear()
