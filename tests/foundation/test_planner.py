"""The planner setting for an index walk: sent once, undone when asked, and
never outliving the transaction that sent it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from baton.platform.planner import in_index_order, mark_sorting_off, with_sorting
from tests.support import requirements as h

pytestmark = pytest.mark.postgres


def sorting(session) -> str:
    return session.scalar(sa.text("SHOW enable_sort"))


def test_a_walk_that_ends_its_transaction_leaves_sorting_off_only_until_commit(pg_app, pg_world):
    with h.as_provider(pg_app, pg_world) as (session, _):
        with in_index_order(session, restore=False):
            assert sorting(session) == "off"
        assert sorting(session) == "off"
    with h.as_provider(pg_app, pg_world) as (session, _):
        assert sorting(session) == "on"


def test_a_walk_inside_a_longer_read_turns_sorting_back_on(pg_app, pg_world):
    with h.as_provider(pg_app, pg_world) as (session, _):
        with in_index_order(session):
            assert sorting(session) == "off"
        assert sorting(session) == "on"


def test_sorting_turned_off_by_an_earlier_statement_is_not_sent_again_and_comes_back(
    pg_app, pg_world
):
    """As an API token's lookup does for a page it expects; a filtered page,
    read instead, gets the planner as it always is."""
    with h.as_provider(pg_app, pg_world) as (session, _):
        session.execute(sa.text("SELECT set_config('enable_sort', 'off', true)"))
        mark_sorting_off(session)
        sent: list[str] = []
        sa.event.listen(session.connection(), "before_cursor_execute", lambda *a: sent.append(a[2]))
        with in_index_order(session, restore=False):
            pass
        assert sent == []
        with_sorting(session)
        assert sorting(session) == "on"
        with_sorting(session)
        assert [s for s in sent if "set_config" in s] == [
            "SELECT set_config('enable_sort', 'on', true)"
        ]
