"""Guards for input that must never reach the database or arithmetic unchecked:
page numbers, decimals of absurd magnitude, and JSON bodies (lone surrogates,
nesting deep enough to exhaust the parser)."""

from __future__ import annotations

import json
import unicodedata
from decimal import Decimal
from typing import Any

from baton.platform.errors import ServiceError, ValidationFailed

MAX_PAGE = 100_000


class BadRequest(ServiceError):
    status = 400


def check_page(page: int) -> int:
    """A page number a list can serve; anything else names the ``page`` field."""
    if not 1 <= page <= MAX_PAGE:
        raise ValidationFailed({"page": f"Choose a page between 1 and {MAX_PAGE:,}."})
    return page


def page_from(raw: Any) -> int:
    """``?page=`` as typed: missing or not a number is the first page."""
    try:
        return check_page(int(str(raw or "1").strip() or "1"))
    except ValueError:
        return 1


def decimal_fits(value: Decimal, digits: int = 14, places: int = 4) -> bool:
    """Finite, fewer than ``digits`` whole digits, at most ``places`` decimals;
    decided from the number's own digits and exponent, so ``1e999999999``
    cannot overflow the arithmetic that would otherwise check it."""
    if not value.is_finite():
        return False
    if value.is_zero():
        return True
    exponent = value.as_tuple().exponent
    if value.adjusted() >= digits:
        return False
    return exponent >= -places or value == value.quantize(Decimal(1).scaleb(-places))


def _surrogate_path(value: Any) -> str | None:
    """The path of the first string holding a lone UTF-16 surrogate (not text)."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if any(0xD800 <= ord(ch) <= 0xDFFF for ch in item):
                return path or "_form"
        elif isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(key, str) and any(0xD800 <= ord(ch) <= 0xDFFF for ch in key):
                    return path or "_form"
                stack.append((f"{path}.{key}" if path else str(key), inner))
        elif isinstance(item, list):
            stack.extend((f"{path}.{i}" if path else str(i), inner) for i, inner in enumerate(item))
    return None


def check_json_body(raw: bytes) -> None:
    """Refuse a JSON body that no handler can take: nested beyond the parser's
    depth (400), or holding text that is not Unicode (422, naming the field).
    Anything else malformed is left to the handler's schema to report."""
    if not raw:
        return
    try:
        parsed = json.loads(raw)
    except RecursionError:
        raise BadRequest("The JSON body is nested too deeply.") from None
    except ValueError:
        return
    path = _surrogate_path(parsed)
    if path is not None:
        raise ValidationFailed({path: "This text is not valid Unicode (a lone surrogate)."})


def clean_text(value: Any, *, multiline: bool = False) -> str | None:
    """Text as it is stored: NFC Unicode, ``\\n`` line ends, trimmed, None when
    empty. Refuses (ValueError, for the caller to name the field) a NUL
    character anywhere and a line break in one-line text: a title with a
    line break would end up in an email's Subject header."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value))
    if "\x00" in text:
        raise ValueError("Remove the NUL character from this text.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not multiline and "\n" in text:
        raise ValueError("Keep this on one line.")
    return text.strip() or None
