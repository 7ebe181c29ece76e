"""A read costs a constant number of SQL statements, whatever the size of the
object or the page: counted on PostgreSQL, through the real API and pages."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from baton.platform.db import db
from tests.support import requirements as h
from tests.support.world import login

pytestmark = pytest.mark.postgres


@contextmanager
def counted(app) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _requirement_with_lines(app, world, lines: int):
    specs = h.make_spec(app, world, revisions=1)
    data = h.good_data(
        world,
        h.make_supplier(app, world),
        lines=[h.good_line(spec_required=True, spec_revision_ids=specs) for _ in range(lines)],
    )
    rid = h.create_draft(app, world, data)
    h.submit(app, world, rid)
    return rid


def _count(app, fetch) -> tuple[int, list[str]]:
    fetch()  # warm: first-use work (mapper configuration) is not a per-read cost
    with counted(app) as statements:
        response = fetch()
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return len(statements), statements


def test_one_requirement_costs_the_same_statements_with_one_line_or_twelve(pg_app, pg_world):
    app, world = pg_app, pg_world
    small, large = (_requirement_with_lines(app, world, n) for n in (1, 12))
    headers = h.api_headers(app, world.orgs["north"], "buyer")
    client = app.test_client()
    n_small, _ = _count(app, lambda: client.get(f"/api/v1/queue/{small}", headers=headers))
    n_large, listing = _count(app, lambda: client.get(f"/api/v1/queue/{large}", headers=headers))
    body = client.get(f"/api/v1/queue/{large}", headers=headers).get_json()
    assert len(body["lines"]) == 12 and all(line["spec_revision_ids"] for line in body["lines"])
    assert n_large == n_small, listing
    # The token with its organisation, engaged clients and the RLS settings; the
    # requirement with its supplier, lines and their specifications; the snapshot.
    assert n_large <= 3, listing


def test_the_clients_own_read_of_a_requirement_is_constant_too(pg_app, pg_world):
    app, world = pg_app, pg_world
    small, large = (_requirement_with_lines(app, world, n) for n in (1, 12))
    headers = h.api_headers(app, world.orgs["acme"], "sourcing")
    client = app.test_client()
    n_small, _ = _count(app, lambda: client.get(f"/api/v1/requirements/{small}", headers=headers))
    n_large, listing = _count(
        app, lambda: client.get(f"/api/v1/requirements/{large}", headers=headers)
    )
    assert n_large == n_small, listing


def test_the_queue_page_costs_the_same_with_three_rows_or_twelve(pg_app, pg_world):
    app, world = pg_app, pg_world
    headers = h.api_headers(app, world.orgs["north"], "buyer")
    client = app.test_client()
    supplier = h.make_supplier(app, world)
    for _ in range(3):
        h.submitted(app, world, supplier)
    n_three, _ = _count(app, lambda: client.get("/api/v1/queue", headers=headers))
    for _ in range(9):
        h.submitted(app, world, h.make_supplier(app, world))
    n_twelve, listing = _count(app, lambda: client.get("/api/v1/queue", headers=headers))
    assert len(client.get("/api/v1/queue", headers=headers).get_json()["items"]) == 12
    assert n_twelve == n_three, listing


def test_only_the_unfiltered_queue_page_is_read_in_the_index_order(pg_app, pg_world):
    """By due date and unfiltered, the page walks the queue index and stops after
    one page; a search may match a handful of a provider's requirements, which
    such a walk would read them all to find, so the planner is left free."""
    app, world = pg_app, pg_world
    headers = h.api_headers(app, world.orgs["north"], "buyer")
    client = app.test_client()
    token = uuid.uuid4().hex[:10]
    wanted = h.submitted(app, world, title=f"Hydraulic seals {token}")
    h.submitted(app, world)
    _, first_page = _count(app, lambda: client.get("/api/v1/queue", headers=headers))
    _, searched = _count(app, lambda: client.get(f"/api/v1/queue?q=seals+{token}", headers=headers))
    _, due_today = _count(app, lambda: client.get("/api/v1/queue?due=today", headers=headers))

    def walks_the_index(statements: list[str]) -> bool:
        return any("enable_sort" in statement for statement in statements)

    assert walks_the_index(first_page) and walks_the_index(due_today)
    assert not walks_the_index(searched), searched
    found = client.get(f"/api/v1/queue?q=seals+{token}", headers=headers).get_json()
    assert [item["id"] for item in found["items"]] == [str(wanted)]


def test_the_queue_web_page_is_constant_as_rows_grow(pg_app, pg_world):
    app, world = pg_app, pg_world
    buyer = app.test_client()
    login(buyer, world.email("north_buyer"))
    supplier = h.make_supplier(app, world)
    h.submitted(app, world, supplier)
    n_one, _ = _count(app, lambda: buyer.get("/provider/queue/"))
    for _ in range(6):
        h.submitted(app, world, h.make_supplier(app, world))
    n_seven, listing = _count(app, lambda: buyer.get("/provider/queue/"))
    assert n_seven == n_one, listing


def test_one_supplier_is_a_constant_read(pg_app, pg_world):
    app, world = pg_app, pg_world
    headers = h.api_headers(app, world.orgs["acme"], "sourcing")
    supplier = h.make_supplier(app, world)
    client = app.test_client()
    n, listing = _count(app, lambda: client.get(f"/api/v1/suppliers/{supplier}", headers=headers))
    assert n <= 6, listing


def test_a_queue_search_costs_no_more_statements_than_the_plain_queue(pg_app, pg_world):
    app, world = pg_app, pg_world
    headers = h.api_headers(app, world.orgs["north"], "buyer")
    client = app.test_client()
    for _ in range(4):
        h.submitted(app, world, h.make_supplier(app, world, name="Searchable Steel"))
    plain, _ = _count(app, lambda: client.get("/api/v1/queue", headers=headers))
    searched, listing = _count(
        app, lambda: client.get("/api/v1/queue?q=searchable", headers=headers)
    )
    assert len(client.get("/api/v1/queue?q=searchable", headers=headers).json["items"]) == 4
    assert searched <= plain, listing


def test_one_purchase_order_costs_the_same_statements_with_one_line_or_five(pg_app, pg_world):
    from tests.support import orders as o

    app, world = pg_app, pg_world
    supplier = h.make_supplier(app, world)
    small = o.released(app, world, supplier_id=supplier)
    rid = o.accepted(app, world, supplier, lines=[h.good_line() for _ in range(5)])
    large = o.draft(app, world, rid)
    headers = h.api_headers(app, world.orgs["north"], "buyer")
    client = app.test_client()
    path = "/api/v1/purchase-orders/{}"
    n_small, _ = _count(app, lambda: client.get(path.format(small), headers=headers))
    n_large, listing = _count(app, lambda: client.get(path.format(large), headers=headers))
    assert len(client.get(path.format(large), headers=headers).get_json()["lines"]) == 5
    assert n_large == n_small, listing
    # The token with everything it resolves; the order with its lines and supplier.
    assert n_large <= 2, listing


def test_a_page_of_purchase_orders_is_three_statements_for_one_order_or_six(pg_app, pg_world):
    """The token with its context and the planner's setting for the index
    walk, then the page: no lazy load per order, however many the page holds."""
    from tests.support import orders as o

    app, world = pg_app, pg_world
    headers = h.api_headers(app, world.orgs["north"], "buyer")
    client = app.test_client()
    o.draft(app, world)
    n_one, _ = _count(app, lambda: client.get("/api/v1/purchase-orders", headers=headers))
    for _ in range(5):
        o.draft(app, world)
    n_six, listing = _count(app, lambda: client.get("/api/v1/purchase-orders", headers=headers))
    assert len(client.get("/api/v1/purchase-orders", headers=headers).get_json()["items"]) >= 6
    assert n_six == n_one, listing
    assert n_six <= 2, listing
    assert "enable_sort" in listing[0] and "api_tokens" in listing[0], listing


def test_only_the_unfiltered_order_list_turns_sorting_off(pg_app, pg_world):
    """A filtered list, or one order, is planned as PostgreSQL always plans:
    a filter may match few of a provider's orders, which a sort serves best."""
    from tests.support import orders as o

    app, world = pg_app, pg_world
    headers = h.api_headers(app, world.orgs["north"], "buyer")
    client = app.test_client()
    po_id = o.draft(app, world)
    _, filtered = _count(
        app, lambda: client.get("/api/v1/purchase-orders?status=draft", headers=headers)
    )
    _, one = _count(app, lambda: client.get(f"/api/v1/purchase-orders/{po_id}", headers=headers))
    for statements in (filtered, one):
        assert not any("enable_sort" in statement for statement in statements), statements
    listed = client.get("/api/v1/purchase-orders?status=draft", headers=headers).get_json()
    assert str(po_id) in [item["id"] for item in listed["items"]]


def test_the_api_queue_page_leaves_the_planner_setting_to_end_with_its_transaction(
    pg_app, pg_world
):
    """The API's page reads nothing after its walk, so it makes no round trip to
    turn sorting back on; the web page reads its due-today panel after the
    walk, with the planner as it always is."""
    app, world = pg_app, pg_world
    h.submitted(app, world, h.make_supplier(app, world))
    headers = h.api_headers(app, world.orgs["north"], "buyer")
    api = app.test_client()
    n_api, via_api = _count(app, lambda: api.get("/api/v1/queue", headers=headers))
    buyer = app.test_client()
    login(buyer, world.email("north_buyer"))
    _, via_page = _count(app, lambda: buyer.get("/provider/queue/"))

    def sets(statements: list[str], value: str) -> bool:
        return any(f"'enable_sort', '{value}'" in statement for statement in statements)

    assert sets(via_api, "off") and not sets(via_api, "on"), via_api
    # The setting rides on the token's lookup: the page is the only other statement.
    assert n_api <= 2, via_api
    assert sets(via_page, "off") and sets(via_page, "on"), via_page
