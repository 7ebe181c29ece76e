"""Free-text filters on list pages."""

from __future__ import annotations

# Pass as ``escape=`` with the pattern: typed ``%`` and ``_`` then match themselves.
LIKE_ESCAPE = "!"


def escape_like(text: str) -> str:
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def contains(text: str) -> str:
    """An ILIKE pattern matching ``text`` anywhere, literally."""
    return f"%{escape_like(text.strip())}%"
