"""Change orders: revision n+1 with a reason and a diff, approved again when
material, released with a new PDF and link; the old link is superseded."""

from __future__ import annotations

import uuid

import pytest

from baton.platform.errors import Conflict, Forbidden, ValidationFailed
from tests.support import changes as c
from tests.support import orders as o
from tests.support import requirements as h
from tests.support.world import login


def _as(app, who):
    web = app.test_client()
    login(web, who)
    return web


def test_an_immaterial_change_is_approved_at_once_and_released_as_revision_1(app, world):
    po_id = o.released(app, world)  # 250 each at 3.85 = 962.50
    later = (h.today().replace(day=1)).isoformat()
    change_id = c.start(
        app,
        world,
        po_id,
        lines=[{"line_no": 1, "schedule": [{"date": later, "quantity": "250"}]}],
        edits={"notes": "Deliver to gate 2"},
    )
    change = c.load(app, change_id)
    assert [(d["label"], d["after"]) for d in change.diff] == [
        ("Notes", "Deliver to gate 2"),
        ("Line 1: Deliveries", f"250 on {later}"),
    ]
    # Revision 0 stays in force until the change is released.
    assert o.load(app, po_id).notes is None
    assert c.submit(app, world, po_id, change_id) == "approved"
    c.release(app, world, po_id, change_id)
    po = o.load(app, po_id)
    assert (po.revision, po.status, po.notes) == (1, "released", "Deliver to gate 2")
    assert po.lines[0].schedule == [{"date": later, "quantity": "250"}]
    subjects = [
        m["Subject"] for m in h.mails_to(app, "@supplier.example") if po.number in m["Subject"]
    ]
    assert subjects[-1].startswith(f"Purchase order {po.number} revision 1 from")
    assert any("revision 1" not in s for s in subjects[:-1])


def test_a_rise_beyond_the_tolerance_goes_back_to_the_client_with_its_reason(app, world):
    po_id = o.released(app, world)
    change_id = c.start(app, world, po_id, lines=[{"line_no": 1, "quantity": "300"}])
    assert c.submit(app, world, po_id, change_id) == "pending_approval"
    change = c.load(app, change_id)
    assert change.required_approvals == 1
    assert "rises by 20.0 %" in change.material_reasons[0]
    # The client's inbox lists it with the diff.
    approver = _as(app, world.email("acme_approver"))
    inbox = approver.get("/client/approvals")
    assert "Change order 1" in inbox.text and "Line 1: Quantity: 250 →" in inbox.text
    page = approver.get(f"/client/orders/{po_id}")
    assert "Approve the change" in page.text
    # Ordering more than was handed off is an exception the approver accepts.
    assert "It departs from the handoff" in page.text
    assert (
        approver.post(
            f"/client/orders/{po_id}/changes/{change_id}/approve", data={"accept_exceptions": "1"}
        ).status_code
        == 302
    )
    assert c.load(app, change_id).status == "approved"
    c.release(app, world, po_id, change_id)
    po = o.load(app, po_id)
    assert po.lines[0].quantity == 300 and str(po.total) == "1155.0000"


def test_the_drafting_buyer_and_one_approver_twice_cannot_approve_a_change(app, world):
    o.set_policy(app, world, "100", "500")
    po_id = o.draft(app, world)
    o.submit(app, world, po_id)
    o.approve(app, world, po_id)
    o.approve(app, world, po_id, who="acme_admin")
    with h.as_provider(app, world) as (session, _):
        from baton.procurement.orders import release

        release.release(session, world.orgs["north"], po_id)
    change_id = c.start(app, world, po_id, lines=[{"line_no": 1, "quantity": "260"}])
    assert c.submit(app, world, po_id, change_id) == "pending_approval"
    assert c.load(app, change_id).required_approvals == 2
    kw = {"accept_exceptions": True}  # 260 is more than the 250 handed off
    assert c.approve(app, world, po_id, change_id, **kw) == "pending_approval"
    with pytest.raises(Conflict):
        c.approve(app, world, po_id, change_id, **kw)
    assert c.approve(app, world, po_id, change_id, who="acme_admin", **kw) == "approved"


def test_a_buyer_who_is_also_the_approver_cannot_approve_their_own_change(app, world):
    po_id = o.released(app, world)
    change_id = c.start(app, world, po_id, lines=[{"line_no": 1, "quantity": "400"}])
    c.submit(app, world, po_id, change_id)
    # Pretend the approver drafted it (one person with both hats).
    with h.service_session(app) as session:
        from baton.procurement.orders.change_models import POChangeOrder
        from baton.tenants.services import find_user

        session.get(POChangeOrder, change_id).created_by_id = find_user(
            session, world.email("acme_approver")
        ).id
    with pytest.raises(Forbidden):
        c.approve(app, world, po_id, change_id)


def test_a_change_departing_from_the_handoff_needs_its_exception_accepted(app, world):
    po_id = o.released(app, world)
    change_id = c.start(app, world, po_id, lines=[{"line_no": 1, "unit_price": "3.80"}])
    # The total falls, but the price now differs from the handoff's 3.85.
    assert c.submit(app, world, po_id, change_id) == "pending_approval"
    change = c.load(app, change_id)
    assert [(e["field"], e["snapshot_value"], e["po_value"]) for e in change.exceptions] == [
        ("unit_price", "3.85", "3.80")
    ]
    with pytest.raises(ValidationFailed) as refused:
        c.approve(app, world, po_id, change_id)
    assert "accept_exceptions" in refused.value.errors
    assert c.approve(app, world, po_id, change_id, accept_exceptions=True) == "approved"
    c.release(app, world, po_id, change_id)
    page = _as(app, world.email("acme_approver")).get(f"/client/orders/{po_id}")
    assert "Accepted" in page.text and "3.80" in page.text


def test_a_line_never_goes_below_what_was_received(app, world):
    from baton.procurement.orders import receipts

    po_id = o.released(app, world)
    with h.as_provider(app, world) as (session, user_id):
        receipts.receive(
            session,
            world.orgs["north"],
            user_id,
            po_id,
            [{"line_no": 1, "quantity_received": "100"}],
        )
    with pytest.raises(ValidationFailed) as refused:
        c.start(app, world, po_id, lines=[{"line_no": 1, "quantity": "90"}])
    assert "100 received already" in refused.value.errors["lines[1].quantity"]
    change_id = c.start(app, world, po_id, lines=[{"line_no": 1, "quantity": "150"}])
    c.submit(app, world, po_id, change_id)
    # It releases as the order's next revision and keeps the receipt.
    c.release(app, world, po_id, change_id)
    po = o.load(app, po_id)
    assert (po.revision, po.status, po.lines[0].received_quantity) == (1, "released", 100)
    assert po.lines[0].quantity == 150
    # Another 100 arrive: then every line is received and no change can take it lower.
    with h.as_provider(app, world) as (session, user_id):
        receipts.receive(
            session,
            world.orgs["north"],
            user_id,
            po_id,
            [{"line_no": 1, "quantity_received": "50"}],
        )
    assert o.load(app, po_id).status == "received"
    with pytest.raises(Conflict):
        c.start(app, world, po_id, lines=[{"line_no": 1, "quantity": "150"}])


def test_only_one_change_order_is_open_and_a_withdrawn_one_changes_nothing(app, world):
    po_id = o.released(app, world)
    first = c.start(app, world, po_id, lines=[{"line_no": 1, "quantity": "251"}])
    with pytest.raises(Conflict):
        c.start(app, world, po_id, lines=[{"line_no": 1, "quantity": "252"}])
    buyer = _as(app, world.email("north_buyer"))
    assert buyer.post(f"/provider/orders/{po_id}/changes/{first}/withdraw").status_code == 302
    assert c.load(app, first).status == "withdrawn"
    assert o.load(app, po_id).lines[0].quantity == 250
    second = c.start(app, world, po_id, lines=[{"line_no": 1, "quantity": "252"}])
    assert c.load(app, second).number == 2


def test_the_change_form_edits_with_a_version_and_a_stale_save_is_a_conflict(app, world):
    po_id = o.released(app, world)
    change_id = c.start(app, world, po_id)
    buyer = _as(app, world.email("north_buyer"))
    page = buyer.get(f"/provider/orders/{po_id}/changes/{change_id}")
    assert page.status_code == 200 and "Save change order" in page.text
    form = {"version": "1", "reason": "More brackets", "cause": "client_change"}
    saved = buyer.post(
        f"/provider/orders/{po_id}/changes/{change_id}/edit",
        data=form | {"lines-1-quantity": "260", "lines-1-unit_price": "3.85"},
    )
    assert saved.status_code == 302
    shown = buyer.get(f"/provider/orders/{po_id}/changes/{change_id}").text
    assert "Line 1: Quantity" in shown and "260" in shown
    stale = buyer.post(
        f"/provider/orders/{po_id}/changes/{change_id}/edit",
        data=form | {"lines-1-quantity": "270", "lines-1-unit_price": "3.85"},
        follow_redirects=True,
    )
    assert "changed by someone else" in stale.text
    assert c.load(app, change_id).lines[0]["quantity"] == "260"
    bad = buyer.post(
        f"/provider/orders/{po_id}/changes/{change_id}/edit",
        data=form | {"version": "2", "lines-1-quantity": "lots", "lines-1-unit_price": "3.85"},
    )
    assert bad.status_code == 422 and "lines[1].quantity" in bad.text
    # An unchanged save records nothing and keeps the version.
    again = buyer.post(
        f"/provider/orders/{po_id}/changes/{change_id}/edit",
        data=form | {"version": "2", "lines-1-quantity": "260.0", "lines-1-unit_price": "3.850"},
    )
    assert again.status_code == 302 and c.load(app, change_id).version == 2


def test_the_old_link_says_superseded_and_the_new_one_works(app, world):
    po_id = o.released(app, world)
    old = c.token(app, po_id)
    change_id = c.start(app, world, po_id, edits={"notes": "Gate 2"})
    c.submit(app, world, po_id, change_id)
    c.release(app, world, po_id, change_id)
    supplier = app.test_client()
    refused = supplier.get(f"/supplier/orders/{old}")
    assert refused.status_code == 404
    assert "superseded by revision 1" in refused.text and "BR-100" not in refused.text
    assert (
        supplier.post(f"/supplier/orders/{old}", data={"lines-1-outcome": "accepted"}).status_code
        == 404
    )
    assert supplier.get(f"/supplier/orders/{old}/pdf").status_code == 404
    new = c.token(app, po_id)
    page = supplier.get(f"/supplier/orders/{new}")
    assert page.status_code == 200 and "revision 1" in page.text and "Gate 2" in page.text
    # A new acknowledgement is required, and counts for revision 1.
    assert (
        supplier.post(f"/supplier/orders/{new}", data={"lines-1-outcome": "accepted"}).status_code
        == 302
    )
    assert o.load(app, po_id).status == "acknowledged"


def test_the_link_cannot_reach_another_revision_by_editing_its_token(app, world):
    from baton.platform.signing import sign

    po_id = o.released(app, world)
    change_id = c.start(app, world, po_id, edits={"notes": "Gate 2"})
    c.submit(app, world, po_id, change_id)
    c.release(app, world, po_id, change_id)
    po = o.load(app, po_id)
    claims = {"po": str(po.id), "t": str(po.tenant_id), "p": str(po.provider_id)}
    # Even correctly signed, with the live nonce, another revision opens nothing.
    with app.app_context():
        tokens = [sign("supplier-order", claims | {"r": r, "n": po.link_nonce}) for r in (0, 2)]
    for token in tokens:
        page = app.test_client().get(f"/supplier/orders/{token}")
        assert page.status_code == 404 and "Gate 2" not in page.text
    # An edited token fails its signature.
    new = c.token(app, po_id)
    assert app.test_client().get(f"/supplier/orders/{new[:-3]}abc").status_code == 404


def test_every_revision_stays_readable_and_downloadable(app, world):
    po_id = o.released(app, world)
    change_id = c.start(app, world, po_id, edits={"notes": "Gate 2"})
    c.submit(app, world, po_id, change_id)
    c.release(app, world, po_id, change_id)
    buyer = _as(app, world.email("north_buyer"))
    page = buyer.get(f"/provider/orders/{po_id}")
    assert "Revision 0" in page.text and "superseded" in page.text
    for revision in (0, 1):
        pdf = buyer.get(f"/provider/orders/{po_id}/revisions/{revision}/pdf", follow_redirects=True)
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
        assert f"rev{revision}" in pdf.headers.get("Content-Disposition", "")
    old = buyer.get(f"/provider/orders/{po_id}/revisions/0")
    assert "superseded by revision 1" in old.text and "Gate 2" not in old.text
    assert buyer.get(f"/provider/orders/{po_id}/revisions/7").status_code == 404
    client = _as(app, world.email("acme_sourcing"))
    assert client.get(
        f"/client/orders/{po_id}/revisions/0/pdf", follow_redirects=True
    ).data.startswith(b"%PDF")


def test_the_buyer_counters_the_suppliers_proposed_price_with_a_change_order(app, world):
    po_id = o.released(app, world)
    token = c.token(app, po_id)
    later = (h.today().replace(day=1)).isoformat()
    app.test_client().post(
        f"/supplier/orders/{token}",
        data={
            "lines-1-outcome": "changed",
            "lines-1-promised_date": later,
            "lines-1-unit_price": "4.10",
        },
    )
    buyer = _as(app, world.email("north_buyer"))
    page = buyer.get(f"/provider/orders/{po_id}")
    assert "Counter with a change order" in page.text
    started = buyer.post(
        f"/provider/orders/{po_id}/changes",
        data={"counter": "1", "cause": "supplier_change", "reason": "Counter at 3.95"},
    )
    assert started.status_code == 302
    change_id = uuid.UUID(started.headers["Location"].rstrip("/").split("/")[-1])
    change = c.load(app, change_id)
    assert change.cause == "supplier_change" and change.lines[0]["unit_price"] == "4.1"
    assert change.lines[0]["schedule"][0]["date"] == later
    with h.service_session(app) as session:
        from baton.procurement.orders.queries import acknowledgement_of

        assert (
            acknowledgement_of(session, session.get(o.PurchaseOrder, po_id)).changes_status
            == "countered"
        )
    assert "countered with a change order" in buyer.get(f"/provider/orders/{po_id}").text
    saved = buyer.post(
        f"/provider/orders/{po_id}/changes/{change_id}/edit",
        data={
            "version": "1",
            "lines-1-quantity": "250",
            "lines-1-unit_price": "3.95",
            "lines-1-schedule-0-date": later,
            "lines-1-schedule-0-quantity": "250",
        },
    )
    assert saved.status_code == 302
    assert buyer.post(f"/provider/orders/{po_id}/changes/{change_id}/submit").status_code == 302
    assert c.load(app, change_id).status == "pending_approval"  # 3.95 departs from the handoff
