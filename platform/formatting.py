"""How amounts, quantities, dates and times read on pages and in emails.

Money never loses its cents, quantities never show padding zeros
(NUMERIC(18, 4) stores both as 4 places); an instant is shown on the clock of
the reader's organisation, and amounts in a currency follow its locale (Babel).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency


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


# --- times, dates and amounts in the reader's organisation ---------------------------------

# One date format on every page and in every email: "14 Mar 2026", "14 Mar 2026 09:30 CET".
DATE_PATTERN = "d MMM y"
DEFAULT_LOCALE = "en"


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _locale(name: str | None) -> Locale:
    try:
        return Locale.parse(name or DEFAULT_LOCALE)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LOCALE)


def known_locale(name: str | None) -> bool:
    try:
        Locale.parse(name or "")
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True


def day(value: Any, locale: str | None = None) -> str:
    """A calendar date (``need_by``, a quote's validity): no time zone applies."""
    if value in (None, ""):
        return "—"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, DATE_PATTERN, locale=_locale(locale))


def when(value: Any, timezone: str | None = None, locale: str | None = None) -> str:
    """An instant (stored in UTC) as the organisation's clock shows it, naming the zone."""
    if value in (None, ""):
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(zone(timezone))
    return f"{day(local.date(), locale)} {local:%H:%M %Z}"


def line_total(quantity: Any, unit_price: Any) -> Decimal | None:
    """Quantity times unit price, exactly; None while either is missing."""
    qty, price = _decimal(quantity), _decimal(unit_price)
    if qty is None or price is None or not qty.is_finite() or not price.is_finite():
        return None
    return qty * price


def total_value(lines: Any) -> Decimal | None:
    """The sum of the lines' totals; None while any line lacks a quantity or price."""
    totals = [line_total(_get(line, "quantity"), _get(line, "unit_price")) for line in lines]
    if not totals or any(t is None for t in totals):
        return None
    return sum(totals, Decimal(0))


def _get(line: Any, name: str) -> Any:
    return line.get(name) if isinstance(line, dict) else getattr(line, name, None)


def amount(value: Any, currency: str | None, locale: str | None = None) -> str:
    """An amount in its currency by the locale's rules: "€1,234.50", "1.234,50 €"."""
    number = _decimal(value)
    if number is None or not number.is_finite():
        return "—"
    if not currency:
        return money(number)
    try:
        return format_currency(number, currency.upper(), locale=_locale(locale))
    except (ValueError, KeyError):
        return money(number, currency)
