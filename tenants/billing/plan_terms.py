"""A plan's terms as people write them, checked before anything is stored.

Prices are written the same way on the command line and on the operator's
page, one metric at a time::

    <included>:<tiers>          100:0-1000@0.40,1000-@0.25

``included`` is the quantity that costs nothing each plan period; each tier is
``<from>-<to>@<unit price>`` counted in billable units (those beyond the
included quantity), the first starting at 0, each starting where the one
before ended, the last open-ended (``1000-``). On the command line the metric
comes first: ``--price po_released:100:0-1000@0.40,1000-@0.25``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from baton.platform.currencies import currency_problem
from baton.platform.errors import ValidationFailed
from baton.tenants.billing.ledger import METRICS

CODE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")
MAX_AMOUNT = Decimal("100000000")


def _decimal(text: str | None) -> Decimal | None:
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def parse_price(text: str) -> dict:
    """``"100:0-1000@0.40,1000-@0.25"`` -> the stored form; ValueError saying what is wrong."""
    included_text, sep, tiers_text = text.strip().partition(":")
    if not sep:
        raise ValueError(
            "Write the included quantity, a colon, then the tiers: 100:0-1000@0.40,1000-@0.25."
        )
    included = _decimal(included_text)
    if included is None or included < 0:
        raise ValueError(f"The included quantity {included_text.strip()!r} is not a number ≥ 0.")
    tiers = []
    expected = Decimal(0)
    parts = [p.strip() for p in tiers_text.split(",") if p.strip()]
    if not parts:
        raise ValueError("Give at least one tier, such as 0-@0.25 (every unit at 0.25).")
    for number, part in enumerate(parts, start=1):
        bounds, at, price_text = part.partition("@")
        low_text, dash, high_text = bounds.partition("-")
        if not at or not dash:
            raise ValueError(f"Tier {number} ({part!r}) must read <from>-<to>@<unit price>.")
        low, price = _decimal(low_text), _decimal(price_text)
        if low is None or low != expected:
            raise ValueError(
                f"Tier {number} must start at {_plain(expected)}, where the one before ends."
            )
        if price is None or price < 0 or price > MAX_AMOUNT:
            raise ValueError(
                f"Tier {number}'s unit price {price_text.strip()!r} is not a number ≥ 0."
            )
        if high_text.strip():
            high = _decimal(high_text)
            if high is None or high <= low:
                raise ValueError(
                    f"Tier {number} must end above {_plain(low)} (tiers go up), or be open: {_plain(low)}-."
                )
            if number == len(parts):
                raise ValueError(f"The last tier must be open-ended: {_plain(low)}-@{price_text}.")
            tiers.append({"up_to": _plain(high), "unit_price": _plain(price)})
            expected = high
        else:
            if number != len(parts):
                raise ValueError(f"Only the last tier may be open-ended; tier {number} is.")
            tiers.append({"up_to": None, "unit_price": _plain(price)})
    return {"included": _plain(included), "tiers": tiers}


def format_price(price: dict) -> str:
    """The stored form back as text (the edit form shows it)."""
    tiers, low = [], "0"
    for tier in price.get("tiers", ()):
        high = tier.get("up_to")
        tiers.append(f"{low}-{high or ''}@{tier['unit_price']}")
        low = high or low
    return f"{price.get('included', '0')}:{','.join(tiers)}"


def clean_plan(data: dict, *, creating: bool) -> dict:
    """Checked terms: ``code`` (when creating), ``name``, ``currency``, ``base_fee``,
    ``prices`` (``{metric: text}``; an empty text means the metric is free).
    Raises ValidationFailed naming each wrong field, before anything is written."""
    errors: dict[str, str] = {}
    clean: dict = {}
    if creating:
        code = (data.get("code") or "").strip().lower()
        if not code or len(code) > 40 or not set(code) <= CODE_CHARS:
            errors["code"] = (
                "Give a code of up to 40 lower-case letters, digits, - or _, such as growth-eur."
            )
        clean["code"] = code
    name = (data.get("name") or "").strip()
    if not name or len(name) > 120 or any(ord(c) < 32 for c in name):
        errors["name"] = "Give the plan a name of up to 120 characters."
    clean["name"] = name
    currency = (data.get("currency") or "").strip().upper()
    if problem := currency_problem(currency):
        errors["currency"] = problem
    clean["currency"] = currency
    fee = _decimal(data.get("base_fee"))
    if fee is None or fee < 0 or fee > MAX_AMOUNT:
        errors["base_fee"] = "The monthly base fee must be an amount ≥ 0, such as 490 or 490.00."
    clean["base_fee"] = fee
    prices = {}
    for metric, text in (data.get("prices") or {}).items():
        field = f"price_{metric}"
        if metric not in METRICS:
            errors[field] = f"{metric!r} is not a metric; use one of {', '.join(sorted(METRICS))}."
            continue
        if not (text or "").strip():
            continue
        try:
            prices[metric] = parse_price(text)
        except ValueError as exc:
            errors[field] = f"{METRICS[metric]}: {exc}"
    clean["prices"] = prices
    if errors:
        raise ValidationFailed(errors)
    return clean


def split_cli_price(text: str) -> tuple[str, str]:
    """``"po_released:100:0-1000@0.40"`` -> (metric, the rest)."""
    metric, _, rest = text.partition(":")
    return metric.strip(), rest
