"""The change-order API: create, edit with If-Match, submit, release; revisions."""

from __future__ import annotations

from tests.support import orders as o
from tests.support import requirements as h


def test_a_provider_changes_an_order_through_the_api_and_reads_its_revisions(app, world):
    po_id = o.released(app, world)
    headers = h.api_headers(app, world.orgs["north"], "buyer")
    api = app.test_client()
    base = f"/api/v1/purchase-orders/{po_id}"
    missing = api.post(f"{base}/change-orders", json={"cause": "client_change"}, headers=headers)
    assert missing.status_code == 422 and "reason" in str(missing.json)
    created = api.post(
        f"{base}/change-orders",
        json={"cause": "client_change", "reason": "Gate 2", "notes": "Deliver to gate 2"},
        headers=headers,
    )
    assert created.status_code == 201, created.json
    change = created.json
    assert change["diff"][0]["after"] == "Deliver to gate 2" and change["base_revision"] == 0
    path = f"{base}/change-orders/{change['id']}"
    edit = {"lines": [{"line_no": 1, "quantity": "240"}]}
    assert api.patch(path, json=edit, headers=headers).status_code == 428
    assert api.patch(path, json=edit, headers=headers | {"If-Match": '"9"'}).status_code == 412
    etag = api.get(path, headers=headers).headers["ETag"]
    changed = api.patch(path, json=edit, headers=headers | {"If-Match": etag})
    assert changed.status_code == 200 and changed.json["total_after"] == "924.00"
    # The first ETag is stale now.
    assert api.patch(path, json=edit, headers=headers | {"If-Match": etag}).status_code == 412
    below = api.patch(
        path,
        json={"lines": [{"line_no": 1, "quantity": "-1"}]},
        headers=headers | {"If-Match": changed.headers["ETag"]},
    )
    assert below.status_code == 422 and "lines[1].quantity" in str(below.json)
    assert api.post(f"{path}/submit", headers=headers).json["status"] == "approved"
    released = api.post(f"{path}/release", headers=headers)
    assert released.status_code == 200 and released.json["status"] == "released"
    order = api.get(base, headers=headers).json
    assert order["revision"] == 1 and order["lines"][0]["quantity"] == "240"
    revisions = api.get(f"{base}/revisions", headers=headers).json
    assert [(r["revision"], r["in_force"]) for r in revisions["items"]] == [(1, True), (0, False)]
    first = api.get(f"{base}/revisions/0", headers=headers).json
    assert first["lines"][0]["quantity"] == "250" and first["header"]["notes"] is None
    assert api.get(f"{base}/revisions/5", headers=headers).status_code == 404
    # The client reads the same revisions and the submitted change.
    client = h.api_headers(app, world.orgs["acme"], "viewer")
    assert len(api.get(f"{base}/revisions", headers=client).json["items"]) == 2
    assert api.get(path, headers=client).json["status"] == "released"
    assert api.post(f"{path}/withdraw", headers=client).status_code in (403, 404)


def test_the_client_never_reads_a_draft_change_order(app, world):
    po_id = o.released(app, world)
    headers = h.api_headers(app, world.orgs["north"], "buyer")
    api = app.test_client()
    base = f"/api/v1/purchase-orders/{po_id}"
    change = api.post(
        f"{base}/change-orders",
        json={"cause": "engineering_change", "reason": "Draft only"},
        headers=headers,
    ).json
    client = h.api_headers(app, world.orgs["acme"], "viewer")
    assert api.get(f"{base}/change-orders/{change['id']}", headers=client).status_code == 404
    nothing = api.post(f"{base}/change-orders/{change['id']}/submit", headers=headers)
    assert nothing.status_code == 422 and "Nothing differs" in str(nothing.json)
    assert (
        api.post(f"{base}/change-orders/{change['id']}/withdraw", headers=headers).json["status"]
        == "withdrawn"
    )
