"""The purchase-order API: draft, change with If-Match, submit, release, receive."""

from __future__ import annotations

from baton.procurement.orders.schemas import OrderListItemSchema
from tests.support import orders as o
from tests.support import requirements as h


def _provider(app, world):
    return h.api_headers(app, world.orgs["north"], "buyer")


def test_a_provider_drafts_changes_submits_releases_and_receives_through_the_api(app, world):
    rid = o.accepted(app, world)
    api = app.test_client()
    headers = _provider(app, world)
    ready = api.get("/api/v1/purchase-orders/ready", headers=headers).json
    keys = [i["key"] for i in ready["items"] if i["requirement_id"] == str(rid)]
    created = api.post("/api/v1/purchase-orders", json={"lines": keys}, headers=headers)
    assert created.status_code == 201, created.json
    po = created.json
    assert po["number"].startswith("ACME-") and po["total"] == "962.50"
    path = f"/api/v1/purchase-orders/{po['id']}"
    # Without If-Match the change is refused; with a stale one too.
    assert api.patch(path, json={"notes": "x"}, headers=headers).status_code == 428
    stale = api.patch(path, json={"notes": "x"}, headers=headers | {"If-Match": '"99"'})
    assert stale.status_code == 412
    etag = api.get(path, headers=headers).headers["ETag"]
    changed = api.patch(
        path, json={"notes": "Deliver to dock 4"}, headers=headers | {"If-Match": etag}
    )
    assert changed.status_code == 200 and changed.json["notes"] == "Deliver to dock 4"
    assert api.post(f"{path}/submit", json={}, headers=headers).json["status"] == "approved"
    assert api.post(f"{path}/release", headers=headers).json["status"] == "released"
    over = api.post(
        f"{path}/receipts",
        json={"lines": [{"line_no": 1, "quantity_received": "300"}]},
        headers=headers,
    )
    assert over.status_code == 422 and "lines[1].quantity_received" in str(over.json)
    done = api.post(
        f"{path}/receipts",
        json={"lines": [{"line_no": 1, "quantity_received": "250"}]},
        headers=headers,
    )
    assert done.json["status"] == "received"


def test_the_client_reads_its_submitted_orders_and_never_a_draft(app, world):
    draft = o.draft(app, world)
    submitted = o.draft(app, world)
    o.submit(app, world, submitted)
    api = app.test_client()
    headers = h.api_headers(app, world.orgs["acme"], "viewer")
    listed = api.get("/api/v1/purchase-orders", headers=headers).json
    ids = {i["id"] for i in listed["items"]}
    assert str(submitted) in ids and str(draft) not in ids
    assert api.get(f"/api/v1/purchase-orders/{draft}", headers=headers).status_code == 404
    assert (
        api.post("/api/v1/purchase-orders", json={"lines": ["x"]}, headers=headers).status_code
        == 404  # a provider's route: a client token does not find it
    )


def test_an_unknown_status_filter_is_a_422_naming_it(app, world):
    api = app.test_client()
    answer = api.get("/api/v1/purchase-orders?status=shipped", headers=_provider(app, world))
    assert answer.status_code == 422 and "status" in str(answer.json)


def test_a_listed_order_is_exactly_what_its_documented_schema_gives(app, world):
    """The list is sent already serialised (``platform.api.dumped``): each item
    reads back through the OpenAPI document's schema unchanged, so the ids and
    the ISO creation time are what an integrator's generated client expects."""
    po = o.draft(app, world)
    api = app.test_client()
    listed = api.get("/api/v1/purchase-orders", headers=_provider(app, world)).json
    item = next(i for i in listed["items"] if i["id"] == str(po))
    schema = OrderListItemSchema()
    assert set(item) == set(schema.fields)
    assert schema.dump(schema.load(item)) == item
    assert item["number"].startswith("ACME-") and item["created_at"].endswith("+00:00")
