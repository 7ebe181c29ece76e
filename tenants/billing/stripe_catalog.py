"""Publishing a plan to Stripe: a product, a licensed monthly price for the
base fee, and one metered price per metric on that metric's Billing Meter.

A metric's price is graduated (``tiers_mode=graduated``): its included
quantity is a free first tier, then the plan's tiers. The plan's ``up_to``
values count from zero, like Stripe's, so a tier ending inside the included
quantity is swallowed by it. Stripe prices cannot be edited; a changed plan
(a new ``updated_at``) is published as new prices, and the idempotency keys
carry that version, so publishing the same version twice makes nothing new.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from baton.platform.errors import Conflict
from baton.platform.stripe_client import stripe_client
from baton.tenants.billing.credits import ZERO_DECIMAL
from baton.tenants.billing.ledger import METRICS
from baton.tenants.billing.models import Plan


def _version(plan: Plan) -> str:
    return str(int(plan.updated_at.timestamp() * 1_000_000))


def _minor(amount: Decimal, currency: str) -> Decimal:
    return Decimal(amount) * (1 if currency.upper() in ZERO_DECIMAL else 100)


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def _tiers(plan: Plan, spec: dict) -> list[dict]:
    included = Decimal(spec.get("included") or 0)
    tiers = []
    if included > 0:
        tiers.append({"up_to": int(included), "unit_amount_decimal": "0"})
    for tier in spec.get("tiers") or []:
        up_to = tier.get("up_to")
        if up_to is not None and Decimal(up_to) <= included:
            continue
        price = _minor(Decimal(tier["unit_price"]), plan.currency)
        tiers.append(
            {
                "up_to": "inf" if up_to is None else int(Decimal(up_to)),
                "unit_amount_decimal": _decimal_text(price),
            }
        )
    if not tiers or tiers[-1]["up_to"] != "inf":
        # Stripe wants an open last tier; beyond the plan's last one usage is free.
        tiers.append({"up_to": "inf", "unit_amount_decimal": "0"})
    return tiers


def _meter_id(client, metric: str) -> str:
    """The Billing Meter of ``metric`` (event name ``baton_<metric>``), made once.
    (A minimal stand-in for ``stripe_meters.ensure_meters``, which the meter push owns.)"""
    event_name = f"baton_{metric}"
    for meter in client.v1.billing.meters.list(params={"limit": 100}).auto_paging_iter():
        if meter.event_name == event_name:
            return meter.id
    meter = client.v1.billing.meters.create(
        params={
            "display_name": METRICS.get(metric, metric),
            "event_name": event_name,
            "default_aggregation": {"formula": "sum"},
            "customer_mapping": {"event_payload_key": "stripe_customer_id", "type": "by_id"},
            "value_settings": {"event_payload_key": "value"},
        },
        options={"idempotency_key": f"meter:{metric}"},
    )
    return meter.id


def publish(session: Session, plan: Plan) -> dict:
    """The plan's Stripe ids, publishing this version of it first if needed."""
    version = _version(plan)
    if plan.stripe_prices and plan.stripe_prices.get("version") == version:
        return plan.stripe_prices
    client = stripe_client()
    if client is None:
        raise Conflict("Stripe is not configured, so plans cannot be published to it.")
    key = f"plan:{plan.id}:{version}"
    product = (plan.stripe_prices or {}).get("product")
    if product is None:
        product = client.v1.products.create(
            params={
                "name": f"Baton {plan.name}",
                "metadata": {"baton_plan_id": str(plan.id), "baton_plan_code": plan.code},
            },
            options={"idempotency_key": f"plan:{plan.id}:product"},
        ).id
    currency = plan.currency.lower()
    base = client.v1.prices.create(
        params={
            "product": product,
            "currency": currency,
            "unit_amount": int(_minor(plan.base_fee, plan.currency)),
            "recurring": {"interval": "month", "usage_type": "licensed"},
            "nickname": f"{plan.name}: base fee",
            "metadata": {"baton_plan_id": str(plan.id), "baton_version": version},
        },
        options={"idempotency_key": f"{key}:base"},
    ).id
    metered = {}
    for metric, spec in sorted((plan.prices or {}).items()):
        metered[metric] = client.v1.prices.create(
            params={
                "product": product,
                "currency": currency,
                "billing_scheme": "tiered",
                "tiers_mode": "graduated",
                "tiers": _tiers(plan, spec),
                "recurring": {
                    "interval": "month",
                    "usage_type": "metered",
                    "meter": _meter_id(client, metric),
                },
                "nickname": f"{plan.name}: {METRICS.get(metric, metric)}",
                "metadata": {
                    "baton_plan_id": str(plan.id),
                    "baton_metric": metric,
                    "baton_version": version,
                },
            },
            options={"idempotency_key": f"{key}:{metric}"},
        ).id
    plan.stripe_price_id = base
    plan.stripe_prices = {"version": version, "product": product, "base": base, "metered": metered}
    return plan.stripe_prices
