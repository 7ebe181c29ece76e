"""The client's orders list costs the same statements with one order as with six
(counted on PostgreSQL, through the page)."""

from __future__ import annotations

import pytest

from tests.foundation.test_read_statements import counted
from tests.support import orders as o
from tests.support.world import login

pytestmark = pytest.mark.postgres


def _count(app, web, path: str) -> tuple[int, list[str]]:
    web.get(path)  # warm: first-use work is not a per-read cost
    with counted(app) as statements:
        response = web.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return len(statements), statements


def test_the_client_order_list_is_constant_in_the_number_of_orders(pg_app, pg_world):
    app, world = pg_app, pg_world
    web = app.test_client()
    login(web, world.email("acme_sourcing"))
    o.released(app, world)
    one, _ = _count(app, web, "/client/orders")
    for _ in range(5):
        o.released(app, world)
    six, listing = _count(app, web, "/client/orders")
    assert six == one, listing
