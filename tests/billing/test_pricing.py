"""Pricing rules with hand-computed figures: included, graduated tiers, rounding,
proration by the second, allocation to clients, forecast."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from baton.tenants.billing import pricing
from baton.tenants.billing.plan_terms import parse_price

PRICE = pricing.metric_prices({"po": parse_price("100:0-1000@0.40,1000-@0.25")})["po"]


def test_included_units_are_free_and_tiers_count_the_billable_units():
    charge = pricing.charge("po", D(1600), PRICE, "EUR")
    assert (charge.included, charge.billable) == (D(100), D(1500))
    assert [(t.quantity, t.amount) for t in charge.tiers] == [
        (D(1000), D("400.00")),
        (D(500), D("125.00")),
    ]
    assert charge.amount == D("525.00")


def test_within_the_included_quantity_nothing_is_charged():
    charge = pricing.charge("po", D(80), PRICE, "EUR")
    assert (charge.included, charge.billable, charge.amount, charge.tiers) == (
        D(80),
        D(0),
        D(0),
        (),
    )


def test_each_tier_line_is_rounded_half_up_to_the_minor_unit():
    price = pricing.metric_prices({"gb": parse_price("0:0-@0.125")})["gb"]
    assert pricing.charge("gb", D(3), price, "EUR").amount == D("0.38")  # 0.375
    assert pricing.charge("gb", D(3), price, "JPY").amount == D("0")
    assert pricing.charge("gb", D(3), price, "BHD").amount == D("0.375")


def test_the_base_fee_is_prorated_by_the_second_like_stripe():
    march = (datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC))
    change = datetime(2025, 3, 11, tzinfo=UTC)
    assert pricing.prorated_fee(D(300), march[0], change, *march, "EUR") == D("96.77")
    assert pricing.prorated_fee(D(600), change, march[1], *march, "EUR") == D("406.45")
    one_hour = datetime(2025, 3, 31, 23, tzinfo=UTC)
    # 3,600 of 2,678,400 seconds of 600.
    assert pricing.prorated_fee(D(600), one_hour, march[1], *march, "EUR") == D("0.81")
    assert pricing.prorated_fee(D(300), *march, *march, "EUR") == D("300.00")


@pytest.mark.parametrize(
    ("amount", "weights", "shares"),
    [
        (D("105.00"), {"a": D(70), "b": D(50)}, {"a": D("61.25"), "b": D("43.75")}),
        (
            D("10.00"),
            {"a": D(1), "b": D(1), "c": D(1)},
            {"a": D("3.34"), "b": D("3.33"), "c": D("3.33")},
        ),
        (D("0.01"), {"a": D(1), "b": D(3)}, {"a": D("0.00"), "b": D("0.01")}),
    ],
)
def test_an_amount_is_shared_pro_rata_and_the_shares_add_up_exactly(amount, weights, shares):
    assert pricing.allocate(amount, weights, "EUR") == shares
    assert sum(shares.values()) == amount


def test_the_forecast_extends_the_month_to_date_rate():
    assert pricing.forecast_quantity(D(100), 10, 40) == D("400.00")
    assert pricing.forecast_quantity(D(7), 0, 40) == D(7)
