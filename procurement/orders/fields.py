"""Parsing of the values a buyer or approver types, each naming its own field.

Every parser raises ``ValueError`` with a message a user can act on; callers
collect them per field so one bad value never hides the others.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from baton.platform.inputs import clean_text, decimal_fits


def decimal_value(
    raw: Any,
    *,
    required: bool = True,
    minimum: Decimal | None = Decimal(0),
    maximum: Decimal | None = None,
    places: int = 4,
) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise ValueError("Enter a number.")
        return None
    if isinstance(raw, float | bool):
        raise ValueError("Enter a number as text, like 12.50.")
    try:
        value = Decimal(str(raw).strip().replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        raise ValueError(f"{str(raw)[:40]!r} is not a number; write it like 1250.50.") from None
    if not decimal_fits(value, places=places):
        raise ValueError(f"Use at most 13 digits before the point and {places} after it.")
    if minimum is not None and value < minimum:
        raise ValueError(f"It cannot be below {minimum}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"It cannot be above {maximum}.")
    value = value.normalize()
    return value if value.as_tuple().exponent <= 0 else value.quantize(Decimal(1))


def date_value(raw: Any, *, required: bool = True) -> date | None:
    if isinstance(raw, date):
        return raw
    text = (str(raw).strip() if raw is not None else "")[:20]
    if not text:
        if required:
            raise ValueError("Enter a date.")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date; use YYYY-MM-DD.") from None


def text_value(
    raw: Any, *, limit: int, multiline: bool = False, required: bool = False
) -> str | None:
    text = clean_text(raw, multiline=multiline)
    if text is None and required:
        raise ValueError("This is required.")
    if text is not None and len(text) > limit:
        raise ValueError(f"Keep it to {limit:,} characters (it has {len(text):,}).")
    return text


def parse_decimal_field(raw: Any, *, required: bool, maximum: Decimal) -> Decimal | None:
    return decimal_value(raw, required=required, maximum=maximum, places=2)
