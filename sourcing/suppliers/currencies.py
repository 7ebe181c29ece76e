"""ISO 4217 currency codes: the list lives in the base layer (``platform.currencies``),
shared with the billing plans."""

from __future__ import annotations

from baton.platform.currencies import ISO_4217, currency_problem

__all__ = ["ISO_4217", "currency_problem"]
