"""Numbers as the person typing them writes them: ``12,50`` and ``1.234,50``
in German, ``1,234.50`` in English, parsed and shown by Babel's CLDR rules.

The locale is the user's browser language (``Accept-Language``), the one a
person's own spreadsheet and keyboard habits follow; without one it is English.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.localedata import locale_identifiers
from babel.numbers import NumberFormatError, format_decimal, parse_decimal

DEFAULT_LOCALE = "en"


@lru_cache(maxsize=1)
def _known() -> tuple[str, ...]:
    return tuple(locale_identifiers())


@lru_cache(maxsize=256)
def negotiate(accept_language: str | None) -> Locale:
    """The best Babel locale for an ``Accept-Language`` header (English when none fits)."""
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    wanted = [tag for tag, _q in parse_accept_header(accept_language or "", LanguageAccept)]
    found = Locale.negotiate(wanted, _known(), sep="-") if wanted else None
    try:
        return found or Locale.parse(DEFAULT_LOCALE)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LOCALE)


def request_locale() -> Locale:
    """The locale numbers on this request's forms are written in."""
    from flask import has_request_context, request

    if not has_request_context():
        return Locale.parse(DEFAULT_LOCALE)
    return negotiate(request.headers.get("Accept-Language"))


def example(locale: Locale) -> str:
    return format_decimal(Decimal("1234.5"), format="#,##0.00", locale=locale)


def parse_number(text: str | None, locale: Locale) -> Decimal | None:
    """A typed number in ``locale``; blank is None. A ``ValueError`` says how to write it."""
    if text is None or not str(text).strip():
        return None
    cleaned = str(text).strip()
    try:
        # strict: in English "12,50" is refused (with a suggestion), not read as 1250.
        return parse_decimal(cleaned, locale=locale, strict=True)
    except NumberFormatError as exc:
        hint = f" Did you mean {' or '.join(exc.suggestions)}?" if exc.suggestions else ""
        raise ValueError(f"Enter a number, like {example(locale)}.{hint}") from None


def format_number(value: Decimal | None, locale: Locale, places: int = 4) -> str:
    """``value`` as a form shows it for editing: no grouping, no padding zeros."""
    if value is None:
        return ""
    return format_decimal(value, format="0." + "#" * places, locale=locale)
