"""The order pages as a buyer and a client use them."""

from __future__ import annotations

from tests.support import orders as o
from tests.support.world import login


def _as(app, who):
    web = app.test_client()
    login(web, who)
    return web


def test_a_buyer_drafts_from_the_ready_page_and_finds_the_order_in_the_list(app, world):
    rid = o.accepted(app, world)
    buyer = _as(app, world.email("north_buyer"))
    ready = buyer.get("/provider/orders/ready")
    assert ready.status_code == 200 and "Create draft order" in ready.text
    [key] = o.ready_keys(app, world, rid)
    created = buyer.post("/provider/orders", data={"line": key})
    assert created.status_code == 302
    page = buyer.get(created.headers["Location"])
    assert "ACME-000001" in page.text and "Submit for approval" in page.text
    listed = buyer.get("/provider/orders?status=open&q=000001")
    assert "ACME-000001" in listed.text
    # An unknown status is dropped, not an error.
    assert "ACME-000001" in buyer.get("/provider/orders?status=shipped").text
    assert "ACME-000001" not in buyer.get("/provider/orders?status=closed").text


def test_an_over_receipt_on_the_page_says_how_much_may_still_come(app, world):
    po_id = o.released(app, world)
    buyer = _as(app, world.email("north_buyer"))
    refused = buyer.post(
        f"/provider/orders/{po_id}/receive", data={"lines-1-quantity_received": "300"}
    )
    assert refused.status_code == 422
    assert "at most 250 more" in refused.text
    assert o.load(app, po_id).lines[0].received_quantity == 0


def test_a_stale_draft_form_is_a_conflict_message_not_a_lost_update(app, world):
    po_id = o.draft(app, world)
    buyer = _as(app, world.email("north_buyer"))
    version = o.load(app, po_id).version
    buyer.post(f"/provider/orders/{po_id}/edit", data={"version": version, "notes": "First"})
    second = buyer.post(
        f"/provider/orders/{po_id}/edit",
        data={"version": version, "notes": "Second"},
        follow_redirects=True,
    )
    assert "changed by someone else" in second.text
    assert o.load(app, po_id).notes == "First"


def test_the_client_lists_its_submitted_orders(app, world):
    po_id = o.draft(app, world)
    o.submit(app, world, po_id)
    client = _as(app, world.email("acme_sourcing"))
    assert o.load(app, po_id).number in client.get("/client/orders?status=open").text
    policy = client.get("/client/approval-policy")
    assert policy.status_code == 200 and "defaults apply" in policy.text
    assert client.post("/client/approval-policy", data={"currency": "EUR"}).status_code == 403


def test_the_client_admin_sets_the_policy_and_a_bad_value_names_its_field(app, world):
    admin = _as(app, world.email("acme_admin"))
    bad = admin.post(
        "/client/approval-policy",
        data={
            "currency": "EURO",
            "one_approver_above": "5000",
            "two_approvers_above": "100",
            "change_tolerance_percent": "5",
            "receipt_tolerance_percent": "0",
        },
    )
    assert bad.status_code == 422 and "ISO 4217" in bad.text
    good = admin.post(
        "/client/approval-policy",
        data={
            "currency": "EUR",
            "one_approver_above": "5000",
            "two_approvers_above": "20000",
            "change_tolerance_percent": "5",
            "receipt_tolerance_percent": "2",
        },
    )
    assert good.status_code == 302
    assert "defaults apply" not in admin.get("/client/approval-policy").text
