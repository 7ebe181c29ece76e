"""The order-issue API: a provider raises, routes and resolves; a client reads
its orders' issues and answers those routed to it; foreign ids are 404."""

from __future__ import annotations

from tests.support import issues as i
from tests.support import orders as o
from tests.support import requirements as h


def test_a_provider_raises_routes_and_resolves_and_the_client_answers(app, world):
    po_id = o.released(app, world)
    api = app.test_client()
    provider = h.api_headers(app, world.orgs["north"], "buyer")
    client = h.api_headers(app, world.orgs["acme"], "approver")
    base = f"/api/v1/purchase-orders/{po_id}/issues"
    bad = api.post(base, json={"cause": "weather", "title": "x", "message": "y"}, headers=provider)
    assert bad.status_code == 422 and "cause" in str(bad.json)
    wrong_line = api.post(
        base, json={"cause": "price", "line_no": 7, "title": "x", "message": "y"}, headers=provider
    )
    assert wrong_line.status_code == 422 and "line_no" in str(wrong_line.json)
    keyed = provider | {"Idempotency-Key": "erp-42"}
    created = api.post(
        base,
        json={
            "cause": "price",
            "line_no": 1,
            "title": "Price up 4%",
            "message": "Steel surcharge.",
        },
        headers=keyed,
    )
    assert created.status_code == 201, created.json
    issue = created.json
    assert issue["status"] == "open" and issue["waiting_on"] == "provider"
    assert issue["messages"][0]["body"] == "Steel surcharge."
    again = api.post(
        base, json={"cause": "price", "title": "Price up 4%", "message": "again"}, headers=keyed
    )
    assert again.status_code == 409
    assert len(api.get(base, headers=provider).json["items"]) == 1
    path = f"{base}/{issue['id']}"
    # The client may not route or resolve, and cannot answer before it is asked.
    assert (
        api.post(f"{path}/route", json={"to": "client", "message": "x"}, headers=client).status_code
        == 404
    )
    early = api.post(f"{path}/messages", json={"message": "Hello?"}, headers=client)
    assert early.status_code == 409
    routed = api.post(
        f"{path}/route", json={"to": "client", "message": "Accept 4%?"}, headers=provider
    )
    assert routed.json["status"] == "with_client" and routed.json["waiting_on"] == "client"
    waiting = api.get("/api/v1/issues?waiting=client", headers=client).json
    assert [x["id"] for x in waiting["items"]] == [issue["id"]]
    answered = api.post(f"{path}/messages", json={"message": "Accepted."}, headers=client)
    assert answered.status_code == 200 and answered.json["status"] == "answered"
    assert [m["author_kind"] for m in answered.json["messages"]] == [
        "provider",
        "provider",
        "client",
    ]
    assert api.post(f"{path}/resolve", json={}, headers=provider).status_code == 422
    done = api.post(f"{path}/resolve", json={"note": "Change order follows."}, headers=provider)
    assert done.json["status"] == "resolved" and done.json["waiting_on"] is None
    assert api.get(path, headers=client).json["resolution_note"] == "Change order follows."


def test_a_viewer_reads_but_cannot_answer(app, world):
    issue_id = i.raised(app, world)
    i.route(app, world, issue_id, "client")
    issue = i.load(app, issue_id)
    api = app.test_client()
    viewer = h.api_headers(app, world.orgs["acme"], "viewer")
    path = f"/api/v1/purchase-orders/{issue.po_id}/issues/{issue_id}"
    assert api.get(path, headers=viewer).status_code == 200
    assert api.post(f"{path}/messages", json={"message": "x"}, headers=viewer).status_code == 403


def test_foreign_and_mismatched_ids_are_404(app, world):
    issue_id = i.raised(app, world)
    issue = i.load(app, issue_id)
    other_po = o.released(app, world)
    api = app.test_client()
    globex = h.api_headers(app, world.orgs["globex"], "admin")
    other = h.api_headers(app, world.orgs["other"], "buyer")
    north = h.api_headers(app, world.orgs["north"], "buyer")
    path = f"/api/v1/purchase-orders/{issue.po_id}/issues/{issue_id}"
    assert api.get(path, headers=globex).status_code == 404
    assert api.get(path, headers=other).status_code == 404
    assert (
        api.get(f"/api/v1/purchase-orders/{issue.po_id}/issues", headers=globex).status_code == 404
    )
    # The issue exists, but not on that order.
    assert (
        api.get(f"/api/v1/purchase-orders/{other_po}/issues/{issue_id}", headers=north).status_code
        == 404
    )
    assert api.get("/api/v1/issues", headers=other).json["items"] == []
