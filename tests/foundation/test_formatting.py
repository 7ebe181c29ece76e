"""Amounts on pages keep their cents; quantities drop the storage padding."""

from decimal import Decimal

import pytest

from baton.platform.formatting import money, quantity


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("156"), "156.00"),
        (Decimal("41.7000"), "41.70"),
        (Decimal("0.1234"), "0.1234"),
        (Decimal("12500.5"), "12,500.50"),
        ("156.0000", "156.00"),  # snapshot payloads hold Decimals as text
        (None, "—"),
    ],
)
def test_money_keeps_cents_and_significant_places(value, shown):
    assert money(value) == shown


def test_money_names_the_currency_when_given():
    assert money(Decimal("99.9"), "EUR") == "99.90 EUR"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("24.0000"), "24"),
        (Decimal("2.5000"), "2.5"),
        (Decimal("1E+3"), "1,000"),
        (None, "—"),
    ],
)
def test_quantity_drops_padding_zeros(value, shown):
    assert quantity(value) == shown


def test_counts_read_as_words_never_as_reason_s():
    from baton.platform.formatting import count

    assert count(1, "reason") == "1 reason"
    assert count(2, "reason") == "2 reasons"
    assert count(1200, "line") == "1,200 lines"
    assert count(0, "organisation") == "0 organisations"
