"""ISO 3166-1 alpha-2 country codes, from pycountry (the ISO list as published).

A few codes people type are not ISO codes but are reserved for, or commonly
mistaken for, a country; the message then names the code to use instead.
"""

from __future__ import annotations

import pycountry

# Exceptionally reserved or customary codes that are not the country's ISO code.
INSTEAD = {"UK": "GB", "EL": "GR"}


def country_problem(code: str | None) -> str | None:
    """None when ``code`` is an ISO 3166-1 alpha-2 country, else a message to act on."""
    if not code:
        return None
    if code in INSTEAD:
        return (
            f"{code} is not an ISO 3166 country code; use {INSTEAD[code]}"
            f" ({pycountry.countries.get(alpha_2=INSTEAD[code]).name})."
        )
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        return f"{code!r} is not an ISO 3166 country code; use two letters such as DE, US or GB."
    return None
