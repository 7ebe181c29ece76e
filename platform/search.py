"""Free-text filters on list pages."""

from __future__ import annotations

from baton.platform.errors import ValidationFailed

# Pass as ``escape=`` with the pattern: typed ``%`` and ``_`` then match themselves.
LIKE_ESCAPE = "!"


def escape_like(text: str) -> str:
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def contains(text: str, field: str = "q") -> str:
    """An ILIKE pattern matching ``text`` anywhere, literally. A NUL character
    is refused by name: PostgreSQL cannot hold one in a query parameter, and
    no stored text has one to match."""
    if "\x00" in text:
        raise ValidationFailed({field: "Remove the NUL character from the search."})
    return f"%{escape_like(text.strip())}%"
