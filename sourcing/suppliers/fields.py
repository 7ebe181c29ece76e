"""A supplier's fields: their names, which are required, and how each is
normalised and checked. The form, the CSV import and the API all go through
``clean``, so they agree on what a valid supplier is."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from baton.platform.inputs import clean_text
from baton.sourcing.suppliers.countries import country_problem
from baton.sourcing.suppliers.currencies import currency_problem
from baton.sourcing.suppliers.models import INCOTERMS, QUALIFICATION_STATUSES

FIELDS = (
    "name",
    "code",
    "contact_name",
    "contact_email",
    "contact_phone",
    "address",
    "country",
    "currency",
    "payment_terms",
    "incoterms",
    "categories",
    "qualification_status",
    "qualified_until",
    "notes",
)
REQUIRED = ("name", "code", "currency")

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9._/-]{0,31}$")
PHONE_RE = re.compile(r"^[0-9+()./\- x]{3,64}$", re.IGNORECASE)
MAX_CATEGORIES = 20


def _text(value: Any, multiline: bool = False) -> str | None:
    return clean_text(value, multiline=multiline)


def parse_categories(value: Any) -> list[str]:
    """A list, or text separated by ';', '|' or ',' (as typed in a form or a CSV cell)."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else re.split(r"[;|,]", str(value))
    seen: dict[str, str] = {}
    for item in items:
        text = re.sub(r"\s+", " ", str(item)).strip()
        if text and text.casefold() not in seen:
            seen[text.casefold()] = text
    return list(seen.values())


def parse_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValueError(
            f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2027-03-31."
        ) from exc


def clean(
    data: Mapping[str, Any], *, partial: bool = False
) -> tuple[dict[str, Any], dict[str, str]]:
    """Normalise and check supplier fields. With ``partial`` only the keys given are
    checked (an edit); otherwise the required ones must be present (a new supplier)."""
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key in data:
        if key not in FIELDS:
            errors[key] = f"Unknown field {key!r}."
    for name in FIELDS:
        if name not in data:
            if not partial and name in REQUIRED:
                errors[name] = f"{name.replace('_', ' ').capitalize()} is required."
            continue
        raw = data[name]
        try:
            out[name] = _clean_one(name, raw)
        except ValueError as exc:
            errors[name] = str(exc)
    return out, errors


def _limit(name: str, value: str | None, maximum: int) -> str | None:
    if value is not None and len(value) > maximum:
        raise ValueError(f"{name} is at most {maximum} characters.")
    return value


def _clean_one(name: str, raw: Any) -> Any:
    if name == "name":
        value = _text(raw)
        if not value:
            raise ValueError("Name is required.")
        return _limit("Name", value, 200)
    if name == "code":
        value = (_text(raw) or "").upper()
        if not value:
            raise ValueError("Code is required.")
        if not CODE_RE.match(value):
            raise ValueError(
                "Code is 1 to 32 letters, digits, '.', '_', '/' or '-', starting with a letter or digit."
            )
        return value
    if name == "currency":
        value = (_text(raw) or "").upper()
        problem = currency_problem(value)
        if problem:
            raise ValueError(problem)
        return value
    if name == "contact_email":
        value = _text(raw)
        if value and not EMAIL_RE.match(value):
            raise ValueError("Enter a valid email address, like orders@supplier.example.")
        return _limit("Email", value.lower() if value else None, 254)
    if name == "contact_phone":
        value = _text(raw)
        if value and not PHONE_RE.match(value):
            raise ValueError("A phone number has digits, spaces and + ( ) . / - only.")
        return value
    if name == "country":
        value = (_text(raw) or "").upper() or None
        if problem := country_problem(value):
            raise ValueError(problem)
        return value
    if name == "incoterms":
        value = (_text(raw) or "").upper() or None
        if value and value not in INCOTERMS:
            raise ValueError(f"Incoterms must be one of {', '.join(INCOTERMS)} (Incoterms 2020).")
        return value
    if name == "qualification_status":
        value = (_text(raw) or "").lower()
        if value not in QUALIFICATION_STATUSES:
            raise ValueError(
                f"Qualification status must be one of {', '.join(QUALIFICATION_STATUSES)}."
            )
        return value
    if name == "qualified_until":
        return parse_date(raw) if _text(raw) else None
    if name == "categories":
        categories = parse_categories(raw)
        if len(categories) > MAX_CATEGORIES:
            raise ValueError(f"At most {MAX_CATEGORIES} categories.")
        if any(len(c) > 64 for c in categories):
            raise ValueError("A category is at most 64 characters.")
        return categories
    if name == "contact_name":
        return _limit("Contact name", _text(raw), 200)
    if name == "payment_terms":
        return _limit("Payment terms", _text(raw), 100)
    if name == "address":
        return _limit("Address", _text(raw, multiline=True), 2000)
    return _limit("Notes", _text(raw, multiline=True), 10_000)
