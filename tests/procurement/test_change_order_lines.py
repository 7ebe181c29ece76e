"""Change orders that add and remove lines: a line nothing was received on goes
(its quantity back to the handoff, ready to order again), lines of another
accepted handoff of the same client and supplier come on, line numbers are
never reused, and the client, the supplier's PDF and the audit trail say so."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from baton.platform.errors import ValidationFailed
from tests.support import changes as c
from tests.support import orders as o
from tests.support import requirements as h
from tests.support.world import login


def _two_line_order(app, world):
    """A released order of two lines (250 + 40) and the requirement behind it."""
    supplier = h.make_supplier(app, world)
    lines = [
        h.good_line(),
        h.good_line(item_code="BR-200", description="Bolt M8", quantity=Decimal(40)),
    ]
    rid = o.accepted(app, world, supplier, lines=lines)
    po_id = o.draft(app, world, rid)
    o.submit(app, world, po_id)
    from baton.procurement.orders import release

    with h.as_provider(app, world) as (session, _):
        release.release(session, world.orgs["north"], po_id)
    return supplier, rid, po_id


def test_removing_a_line_sends_its_quantity_back_to_the_handoff(app, world):
    _supplier, rid, po_id = _two_line_order(app, world)
    assert h.load(app, rid).status == "ordered"
    before = o.load(app, po_id).total
    change_id = c.start(app, world, po_id, lines=[{"line_no": 2, "remove": True}])
    change = c.load(app, change_id)
    [removed, total] = change.diff
    assert (removed["label"], removed["after"]) == ("Line 2", "Removed")
    assert removed["before"] == "40 each BR-200 Bolt M8 at 3.85"
    assert total["field"] == "total" and change.total_after == before - Decimal("154.00")
    assert c.submit(app, world, po_id, change_id) == "approved"  # cheaper: not material
    c.release(app, world, po_id, change_id)
    po = o.load(app, po_id)
    assert (po.revision, [line.line_no for line in po.lines]) == (1, [1])
    assert po.total == Decimal("962.50")
    # The requirement is back to ordering and the bolts are ready to order again.
    assert h.load(app, rid).status == "accepted"
    assert len(o.ready_keys(app, world, rid)) == 1
    # Revision 0 still lists both lines.
    api = app.test_client()
    headers = h.api_headers(app, world.orgs["north"], "viewer")
    first = api.get(f"/api/v1/purchase-orders/{po_id}/revisions/0", headers=headers).json
    assert [line["line_no"] for line in first["lines"]] == [1, 2]


def test_a_line_with_goods_received_cannot_be_removed(app, world):
    _supplier, _rid, po_id = _two_line_order(app, world)
    buyer = app.test_client()
    login(buyer, world.email("north_buyer"))
    buyer.post(f"/provider/orders/{po_id}/receive", data={"lines-2-quantity_received": "10"})
    assert o.load(app, po_id).lines[1].received_quantity == 10
    with pytest.raises(ValidationFailed) as refused:
        c.start(app, world, po_id, lines=[{"line_no": 2, "remove": True}])
    assert "lower its quantity to 10" in refused.value.errors["lines[2]"]
    with pytest.raises(ValidationFailed) as everything:
        c.start(
            app,
            world,
            po_id,
            lines=[{"line_no": 1, "remove": True}, {"line_no": 2, "quantity": "10"}],
        )
    assert "Nothing would be left" in everything.value.errors["lines"]


def test_a_line_of_another_handoff_is_added_and_released_with_the_next_number(app, world):
    supplier, _rid, po_id = _two_line_order(app, world)
    other = o.accepted(
        app, world, supplier, lines=[h.good_line(item_code="NT-8", quantity=Decimal(100))]
    )
    [key] = o.ready_keys(app, world, other)
    # Remove line 2 first, release; then add: the new line is 3, never 2 again.
    first = c.start(app, world, po_id, lines=[{"line_no": 2, "remove": True}])
    c.submit(app, world, po_id, first)
    c.release(app, world, po_id, first)
    change_id = c.start(app, world, po_id, edits={"add": [key]})
    change = c.load(app, change_id)
    [added] = [line for line in change.lines if line.get("added")]
    assert added["line_no"] == 3 and added["quantity"] == "100"
    assert [d["after"] for d in change.diff if d["field"] == "line"] == [
        "Added: 100 each NT-8 Bracket, zinc plated at 3.85"
    ]
    # 962.50 + 385.00: a 40 % rise goes to the client under the default 5 % tolerance.
    assert c.submit(app, world, po_id, change_id) == "pending_approval"
    assert c.approve(app, world, po_id, change_id) == "approved"
    c.release(app, world, po_id, change_id)
    po = o.load(app, po_id)
    assert [(line.line_no, line.item_code, line.quantity) for line in po.lines] == [
        (1, "BR-100", Decimal(250)),
        (3, "NT-8", Decimal(100)),
    ]
    assert po.lines[1].requirement_id == other and po.total == Decimal("1347.50")
    assert h.load(app, other).status == "ordered" and o.ready_keys(app, world, other) == []


def test_only_lines_of_the_orders_client_and_supplier_can_be_added(app, world):
    _supplier, _rid, po_id = _two_line_order(app, world)
    elsewhere = o.accepted(app, world)  # another supplier
    [key] = o.ready_keys(app, world, elsewhere)
    with pytest.raises(ValidationFailed) as refused:
        c.start(app, world, po_id, edits={"add": [key]})
    assert "this order's client, supplier and currency" in refused.value.errors["add"]
    with pytest.raises(ValidationFailed):
        c.start(app, world, po_id, edits={"add": ["not-a-key"]})


def test_a_line_ordered_elsewhere_while_the_change_waited_is_refused_at_release(app, world):
    supplier, _rid, po_id = _two_line_order(app, world)
    other = o.accepted(
        app, world, supplier, lines=[h.good_line(item_code="NT-8", quantity=Decimal(100))]
    )
    [key] = o.ready_keys(app, world, other)
    change_id = c.start(app, world, po_id, edits={"add": [key]})
    o.draft(app, world, other)  # another buyer orders the same line meanwhile
    c.submit(app, world, po_id, change_id)
    # Both together order 200 of the 100 handed off: the client sees the drift.
    [over] = c.load(app, change_id).exceptions
    assert (over["line_no"], over["field"]) == (3, "quantity")
    c.approve(app, world, po_id, change_id, accept_exceptions=True)
    with pytest.raises(ValidationFailed) as refused:
        c.release(app, world, po_id, change_id)
    assert "was ordered elsewhere since" in " ".join(refused.value.errors.values())
    assert [line.line_no for line in o.load(app, po_id).lines] == [1, 2]


def test_the_buyer_removes_and_adds_lines_on_the_change_order_page(app, world):
    supplier, _rid, po_id = _two_line_order(app, world)
    other = o.accepted(
        app, world, supplier, lines=[h.good_line(item_code="NT-8", quantity=Decimal(100))]
    )
    [key] = o.ready_keys(app, world, other)
    change_id = c.start(app, world, po_id)
    buyer = app.test_client()
    login(buyer, world.email("north_buyer"))
    path = f"/provider/orders/{po_id}/changes/{change_id}"
    page = buyer.get(path)
    assert 'data-testid="add-lines"' in page.text and key in page.text
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    form = {
        "version": version,
        "cause": "client_change",
        "reason": "Bolts dropped, nuts added",
        "lines-1-quantity": "250",
        "lines-1-unit_price": "3.85",
        "lines-2-quantity": "40",
        "lines-2-unit_price": "3.85",
        "lines-2-remove": "1",
        "add": key,
    }
    saved = buyer.post(f"{path}/edit", data=form)
    assert saved.status_code == 302
    page = buyer.get(path)
    assert "Removed" in page.text and "Added: 100 each NT-8" in page.text
    assert 'data-line="3"' in page.text and 'name="lines-3-quantity" value="100"' in page.text
    # The client's approver reads the same diff on their side.
    change = c.load(app, change_id)
    assert {d["label"] for d in change.diff if d["field"] == "line"} == {"Line 2", "Line 3"}
    # Unticking the box restores line 2; unticking the added line drops it.
    form |= {
        "version": str(change.version),
        "lines-3-quantity": "100",
        "lines-3-unit_price": "3.85",
    }
    form.pop("lines-2-remove")
    form.pop("add")
    form["lines-3-remove"] = "1"
    assert buyer.post(f"{path}/edit", data=form).status_code == 302
    change = c.load(app, change_id)
    assert [line["line_no"] for line in change.lines] == [1, 2]
    assert not any(line.get("removed") for line in change.lines)


def test_lines_are_added_and_removed_through_the_api(app, world):
    supplier, _rid, po_id = _two_line_order(app, world)
    other = o.accepted(
        app, world, supplier, lines=[h.good_line(item_code="NT-8", quantity=Decimal(100))]
    )
    api = app.test_client()
    headers = h.api_headers(app, world.orgs["north"], "buyer")
    ready = api.get("/api/v1/purchase-orders/ready", headers=headers).json
    [key] = [r["key"] for r in ready["items"] if r["key"].startswith(str(other))]
    created = api.post(
        f"/api/v1/purchase-orders/{po_id}/change-orders",
        json={
            "cause": "client_change",
            "reason": "Swap",
            "lines": [{"line_no": 2, "remove": True}],
            "add": [key],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.json
    lines = {line["line_no"]: line for line in created.json["lines"]}
    assert lines[2]["removed"] is True and lines[3]["added"]["item_code"] == "NT-8"
    assert lines[1]["removed"] is False and lines[1]["added"] is None
    bad = api.post(
        f"/api/v1/purchase-orders/{po_id}/change-orders",
        json={"cause": "client_change", "reason": "x", "add": "nope"},
        headers=headers,
    )
    assert bad.status_code == 422 and "add" in bad.json["errors"]
