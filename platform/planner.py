"""The one planner setting Baton changes: ``enable_sort``, off for a page read
in an index's order, and when that setting is sent.

PostgreSQL cannot see into the row-level policies' and the scoping's
``tenant_id = ANY((SELECT baton_tenant_ids()))``: it guesses each keeps a
small share of the rows, and with two of them it expected 35 of a provider's
20,000 queued requirements, so it read them all and sorted them (80 ms)
rather than walk ``ix_requirements_queue_sla`` and stop after 51 rows
(0.8 ms). With sorting off the walk is the only plan left. The setting is
transaction-local (``set_config(..., true)``), so it never outlives the
request or job that sent it; SQLite has no such setting and needs none.

An API view that reads such a page and nothing after it says so
(``walks_an_index``). The request then turns sorting off in its first
statement, the token's lookup (decision 0020), and the page costs no round
trip of its own for the setting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

# Straight to the driver: no statement to compile, cache or scope.
SORTING_OFF = "set_config('enable_sort', 'off', true)"
_SORTING_ON = "SELECT set_config('enable_sort', 'on', true)"


def walks_an_index(when: Callable[[Mapping[str, Any]], bool]) -> Callable:
    """Mark an API view whose request, when ``when(request.args)`` holds,
    reads one page in an index's order as the last thing in its transaction."""

    def mark(view: Callable) -> Callable:
        view.walks_an_index_when = when  # type: ignore[attr-defined]
        return view

    return mark


def paged_only(args: Mapping[str, Any]) -> bool:
    """A ``walks_an_index`` condition: nothing asked of the list but a page."""
    return set(args) <= {"page"}


def wanted_by(view: Callable | None, args: Mapping[str, Any]) -> bool:
    when = getattr(view, "walks_an_index_when", None)
    return when is not None and bool(when(args))


def expect_index_walk(session: Session) -> None:
    """The request will read in an index's order: its first statement may turn
    sorting off on the way (``sorting_off_first``)."""
    session.info["index_walk_expected"] = True


def sorting_off_first(session: Session) -> bool:
    """Whether the transaction's first statement should turn sorting off."""
    return session.info.get("index_walk_expected", False)


def mark_sorting_off(session: Session) -> None:
    """A statement of the open transaction turned sorting off itself."""
    session.info["sorting_off"] = session.get_transaction()


def _sorting_off(session: Session) -> bool:
    return session.info.get("sorting_off") is session.get_transaction() is not None


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@contextmanager
def in_index_order(session: Session, *, restore: bool = True) -> Iterator[None]:
    """Plan the statements run inside without an explicit sort, so a page read
    in an index's order stops after the page instead of sorting every match.

    ``restore=False`` is for a caller that runs no query after the block in
    this transaction (an API page, then its commit): the setting then ends
    with the transaction, and the request makes one round trip fewer."""
    if not _postgres(session):
        yield
        return
    if not _sorting_off(session):
        session.connection().exec_driver_sql("SELECT " + SORTING_OFF)
        mark_sorting_off(session)
    try:
        yield
    finally:
        if restore:
            with_sorting(session)


def with_sorting(session: Session) -> None:
    """Before a statement that needs the planner as it always is: turn sorting
    back on if this transaction turned it off. A request that expected an
    index walk and then read a filtered page instead comes through here."""
    if _sorting_off(session):
        session.connection().exec_driver_sql(_SORTING_ON)
        session.info.pop("sorting_off", None)
