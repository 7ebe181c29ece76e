"""Pricing rules: what a quantity costs under a plan, and the base fee of part of a month.

Pure functions over Decimals, no database: the statements (``statements.py``)
load the figures and call these. The rules, exactly (docs/billing.md, "Plans
and statements"):

* **Included**: the first ``included`` units of a metric in a plan period cost
  nothing. What is left is the *billable* quantity.
* **Tiers** are graduated, like Stripe's ``tiers_mode=graduated``, and count
  billable units: with tiers ``0-1000 @ 0.40, 1000- @ 0.25`` the first 1,000
  billable units cost 0.40 each and every one after 0.25.
* **Rounding**: each tier's amount (billable units in it x unit price) is
  rounded half up to the currency's minor unit; a metric's amount is the sum
  of its rounded tier lines, so the lines on a statement add up exactly.
* **Proration** of the base fee: by the second, as Stripe prorates a licensed
  price: ``base_fee x seconds on the plan in the month / seconds in the month``,
  rounded to the minor unit per plan period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from baton.platform.currencies import minor_unit, to_minor_unit

ZERO = Decimal(0)


@dataclass(frozen=True)
class Tier:
    up_to: Decimal | None  # billable units this tier reaches (None: without end)
    unit_price: Decimal


@dataclass(frozen=True)
class MetricPrice:
    included: Decimal
    tiers: tuple[Tier, ...]


@dataclass(frozen=True)
class TierLine:
    first: Decimal  # the tier's lower bound, in billable units
    up_to: Decimal | None
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class MetricCharge:
    metric: str
    quantity: Decimal
    included: Decimal
    billable: Decimal
    tiers: tuple[TierLine, ...]
    amount: Decimal
    priced: bool  # False: the plan has no price for the metric (it costs nothing)
    # The plan's included quantity (``included`` is the part of it used).
    allowance: Decimal = ZERO


def metric_prices(prices: dict) -> dict[str, MetricPrice]:
    """A plan's stored ``prices`` JSON as Decimals (``plans.py`` validated it)."""
    found = {}
    for metric, price in (prices or {}).items():
        tiers = tuple(
            Tier(
                up_to=Decimal(t["up_to"]) if t.get("up_to") is not None else None,
                unit_price=Decimal(t["unit_price"]),
            )
            for t in price.get("tiers", ())
        )
        found[metric] = MetricPrice(included=Decimal(price.get("included") or 0), tiers=tiers)
    return found


def charge(
    metric: str, quantity: Decimal, price: MetricPrice | None, currency: str
) -> MetricCharge:
    """What ``quantity`` of ``metric`` costs under ``price``."""
    if price is None:
        return MetricCharge(metric, quantity, ZERO, ZERO, (), ZERO, priced=False)
    billable = max(quantity - price.included, ZERO)
    lines = []
    first = ZERO
    for tier in price.tiers:
        top = tier.up_to
        in_tier = (billable if top is None else min(billable, top)) - first
        if in_tier <= 0:
            break
        lines.append(
            TierLine(
                first=first,
                up_to=top,
                quantity=in_tier,
                unit_price=tier.unit_price,
                amount=to_minor_unit(in_tier * tier.unit_price, currency),
            )
        )
        if top is None:
            break
        first = top
    return MetricCharge(
        metric=metric,
        quantity=quantity,
        included=min(quantity, price.included),
        billable=billable,
        tiers=tuple(lines),
        amount=sum((line.amount for line in lines), ZERO),
        priced=True,
        allowance=price.included,
    )


def seconds(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds())


def prorated_fee(
    base_fee: Decimal,
    start: datetime,
    end: datetime,
    month_start: datetime,
    month_end: datetime,
    currency: str,
) -> Decimal:
    """The base fee for ``[start, end)`` of the month ``[month_start, month_end)``."""
    whole = seconds(month_start, month_end)
    part = seconds(max(start, month_start), min(end, month_end))
    if part <= 0:
        return to_minor_unit(ZERO, currency)
    if part >= whole:
        return to_minor_unit(base_fee, currency)
    return to_minor_unit(base_fee * part / whole, currency)


def allocate(amount: Decimal, weights: dict, currency: str) -> dict:
    """``amount`` split in proportion to ``weights`` (client quantities), in minor
    units, by largest remainder: the shares add up to ``amount`` exactly; a tie
    in remainders goes to the key that sorts first (stable from run to run)."""
    total = sum(weights.values(), ZERO)
    if not weights or total <= 0:
        return {key: to_minor_unit(ZERO, currency) for key in weights}
    step = minor_unit(currency)
    units = int((amount / step).to_integral_value())
    exact = {key: Decimal(units) * w / total for key, w in weights.items()}
    shares = {key: int(value) for key, value in exact.items()}
    left = units - sum(shares.values())
    order = sorted(weights, key=lambda k: (-(exact[k] - shares[k]), str(k)))
    for key in order[:left]:
        shares[key] += 1
    return {key: (Decimal(n) * step).quantize(step) for key, n in shares.items()}


def forecast_quantity(so_far: Decimal, elapsed: int, whole: int) -> Decimal:
    """The month's quantity if usage goes on at the month-to-date rate:
    ``so_far x whole / elapsed`` (seconds), to two decimals."""
    if elapsed <= 0:
        return so_far
    if elapsed >= whole:
        return so_far
    return (so_far * whole / elapsed).quantize(Decimal("0.01"))
