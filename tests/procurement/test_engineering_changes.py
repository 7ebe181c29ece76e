"""Engineering change propagation: a specification revised after release flags
the order lines bought to the earlier revision, tells the buyer and the
client's sourcing people, and a change order binding the new revision clears it."""

from __future__ import annotations

import uuid

from tests.support import changes as c
from tests.support import orders as o
from tests.support import requirements as h
from tests.support.world import login


def _spec_order(app, world):
    [rev1] = h.make_spec(app, world)
    line = h.good_line(spec_required=True, spec_revision_ids=[rev1])
    return o.released(app, world, lines=[line]), rev1


def test_a_revised_spec_flags_the_line_tells_both_sides_and_a_change_order_clears_it(app, world):
    po_id, rev1 = _spec_order(app, world)
    number = h.document_number(app, rev1)
    rev2 = c.revise_spec(app, world, rev1)
    po = o.load(app, po_id)
    assert po.lines[0].spec_outdated
    buyer_mail = [m for m in h.mails_to(app, world.email("north_buyer")) if number in m["Subject"]]
    client_mail = [
        m for m in h.mails_to(app, world.email("acme_sourcing")) if number in m["Subject"]
    ]
    assert buyer_mail and "revision 2" in buyer_mail[0]["Subject"]
    assert client_mail and po.number in h.body_text(client_mail[0])
    buyer = app.test_client()
    login(buyer, world.email("north_buyer"))
    listed = buyer.get("/provider/orders")
    assert "spec outdated" in listed.text and po.number in listed.text
    page = buyer.get(f"/provider/orders/{po_id}")
    assert f"Change order: bind {number} revision 2" in page.text
    started = buyer.post(f"/provider/orders/{po_id}/changes/bind-latest")
    assert started.status_code == 302
    change_id = uuid.UUID(started.headers["Location"].rstrip("/").split("/")[-1])
    change = c.load(app, change_id)
    assert change.cause == "engineering_change"
    assert change.lines[0]["specs"][0]["revision_id"] == str(rev2)
    assert [d["after"] for d in change.diff] == [f"{number} rev 2"]
    # The handoff named revision 1: binding 2 is an exception the client accepts.
    assert c.submit(app, world, po_id, change_id) == "pending_approval"
    assert c.approve(app, world, po_id, change_id, accept_exceptions=True) == "approved"
    c.release(app, world, po_id, change_id)
    po = o.load(app, po_id)
    assert not po.lines[0].spec_outdated and po.revision == 1
    assert po.lines[0].specs[0]["revision_no"] == 2
    assert "spec outdated" not in buyer.get("/provider/orders").text


def test_a_revision_flags_each_line_once_and_leaves_orders_bound_to_the_latest(app, world):
    po_id, rev1 = _spec_order(app, world)
    other_id = o.released(app, world)  # bought to no specification
    c.revise_spec(app, world, rev1)
    number = h.document_number(app, rev1)
    before = len(h.mails_to(app, world.email("north_buyer")))
    c.revise_spec(app, world, rev1)  # revision 3: the line is flagged already
    assert len(h.mails_to(app, world.email("north_buyer"))) == before
    assert o.load(app, po_id).lines[0].spec_outdated
    assert not o.load(app, other_id).lines[0].spec_outdated
    page = app.test_client()
    login(page, world.email("acme_sourcing"))
    assert f"{number} (now revision 3)" in page.get(f"/client/orders/{po_id}").text
