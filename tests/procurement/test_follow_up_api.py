"""The follow-up list and "Chase" over the API: the page's items as data, a
retried chase that sends nothing, and another provider's order answering 404."""

from __future__ import annotations

from datetime import UTC, datetime

from baton.procurement.orders.models import PurchaseOrder
from tests.support import orders as o
from tests.support import requirements as h

LONG_AGO = datetime(2020, 1, 6, 9, tzinfo=UTC)  # a Monday: years past any target


def late_order(app, world):
    po_id = o.released(app, world)
    with h.service_session(app) as session:
        session.get(PurchaseOrder, po_id).released_at = LONG_AGO
    return po_id


def reminders(app, po_id) -> list:
    from baton.sourcing.suppliers.models import Supplier

    with h.service_session(app) as session:
        supplier = session.get(Supplier, session.get(PurchaseOrder, po_id).supplier_id)
        address = supplier.contact_email
    return [m for m in h.mails_to(app, address) if m["Subject"].strip().startswith("Reminder")]


def test_the_follow_up_list_names_the_late_order_with_its_business_hours(app, world):
    po_id = late_order(app, world)
    number = o.load(app, po_id).number
    api = app.test_client()
    headers = h.api_headers(app, world.orgs["north"], "viewer")
    listed = api.get("/api/v1/follow-up?kind=unacknowledged", headers=headers)
    assert listed.status_code == 200
    [item] = [i for i in listed.json["items"] if i["po_id"] == str(po_id)]
    assert item["po_number"] == number and item["kind"] == "unacknowledged"
    assert item["client_id"] == str(world.orgs["acme"]) and item["client_name"]
    assert float(item["late_business_hours"]) > 1000 and "Not acknowledged" in item["what"]
    assert item["chasers_sent"] == 0 and item["last_chased_at"] is None
    # Filters: another client's list and another kind leave it out; a bad kind is named.
    other = api.get(f"/api/v1/follow-up?client_id={world.orgs['globex']}", headers=headers)
    assert str(po_id) not in other.text
    assert str(po_id) not in api.get("/api/v1/follow-up?kind=late_line", headers=headers).text
    bad = api.get("/api/v1/follow-up?kind=soon", headers=headers)
    assert bad.status_code == 422 and "kind" in bad.json["errors"]
    # Another provider's token never sees it; a client token finds no follow-up list.
    outsider = h.api_headers(app, world.orgs["other"], "admin")
    assert str(po_id) not in api.get("/api/v1/follow-up", headers=outsider).text
    client = h.api_headers(app, world.orgs["acme"], "admin")
    assert api.get("/api/v1/follow-up", headers=client).status_code == 404


def test_a_chase_sends_one_reminder_and_its_retry_sends_nothing(app, world):
    po_id = late_order(app, world)
    api = app.test_client()
    headers = h.api_headers(app, world.orgs["north"], "buyer")
    path = f"/api/v1/follow-up/{po_id}/chase"
    first = api.post(path, json={"chase_no": 1}, headers=headers)
    assert first.status_code == 201, first.json
    assert first.json["chasers_sent"] == 1 and first.json["last_chased_at"]
    again = api.post(path, json={"chase_no": 1}, headers=headers)
    assert again.status_code == 200 and again.json == first.json
    skipped = api.post(path, json={"chase_no": 5}, headers=headers)
    assert skipped.status_code == 422 and "next is number 2" in skipped.json["errors"]["chase_no"]
    assert o.load(app, po_id).chase_count == 1
    assert len(reminders(app, po_id)) == 1
    # Without a number the next chaser goes, and the list shows the count.
    assert api.post(path, json={}, headers=headers).json["chasers_sent"] == 2
    listed = api.get("/api/v1/follow-up", headers=headers).json["items"]
    assert [i["chasers_sent"] for i in listed if i["po_id"] == str(po_id)] == [2]
    assert len(reminders(app, po_id)) == 2


def test_nobody_chases_what_is_not_theirs_or_not_with_the_supplier(app, world):
    po_id = late_order(app, world)
    api = app.test_client()
    path = f"/api/v1/follow-up/{po_id}/chase"
    outsider = h.api_headers(app, world.orgs["other"], "admin")
    assert api.post(path, json={}, headers=outsider).status_code == 404
    viewer = h.api_headers(app, world.orgs["north"], "viewer")
    assert api.post(path, json={}, headers=viewer).status_code == 403
    draft = o.draft(app, world)
    buyer = h.api_headers(app, world.orgs["north"], "buyer")
    refused = api.post(f"/api/v1/follow-up/{draft}/chase", json={}, headers=buyer)
    assert refused.status_code == 409 and "nothing to chase" in refused.json["message"]
    assert o.load(app, po_id).chase_count == 0 and reminders(app, po_id) == []
