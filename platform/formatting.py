"""How amounts and quantities read on pages: money never loses its cents,
quantities never show padding zeros (NUMERIC(18, 4) stores both as 4 places)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def money(value: Any, currency: str | None = None) -> str:
    """156 -> '156.00', 41.7 -> '41.70', 0.1234 -> '0.1234', 12500 -> '12,500.00'."""
    amount = _decimal(value)
    if amount is None:
        return "—" if value in (None, "") else str(value)
    places = max(2, -amount.normalize().as_tuple().exponent)
    text = f"{amount:,.{min(places, 4)}f}"
    return f"{text} {currency}" if currency else text


def quantity(value: Any) -> str:
    """24.0000 -> '24', 2.5000 -> '2.5'."""
    amount = _decimal(value)
    if amount is None:
        return "—" if value in (None, "") else str(value)
    normal = amount.normalize()
    return f"{normal:,f}" if normal == normal.to_integral() else f"{normal:,}"


def count(n: int, singular: str, plural: str | None = None) -> str:
    """``1 reason``, ``2 reasons``: never "reason(s)" on a page or in an email."""
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"
