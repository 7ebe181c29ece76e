"""The requirements API: an ERP creates, changes and submits requirements and
reads their status and readiness; a provider tool reads its queue and decides.
Validation errors name the field and change nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.support import requirements as h


def body(world, supplier_id, **overrides) -> dict:
    data = h.good_data(world, supplier_id, **overrides)
    out = {k: (str(v) if v is not None and not isinstance(v, list) else v) for k, v in data.items()}
    out["lines"] = [
        {
            k: (
                [str(x) for x in v]
                if isinstance(v, list)
                else (v if isinstance(v, bool) or v is None else str(v))
            )
            for k, v in line.items()
        }
        for line in data["lines"]
    ]
    return out


@pytest.fixture
def erp(app, world):
    return h.api_headers(app, world.orgs["acme"], "sourcing")


def test_an_erp_creates_submits_and_reads_a_requirement(app, world, erp):
    client = app.test_client()
    supplier = h.make_supplier(app, world)
    spec = h.make_spec(app, world)[0]
    payload = body(
        world, supplier, lines=[h.good_line(spec_required=True, spec_revision_ids=[spec])]
    )
    created = client.post("/api/v1/requirements", json=payload, headers=erp)
    assert created.status_code == 201, created.json
    data = created.json
    assert data["status"] == "draft"
    assert data["readiness"]["ready"] is True
    assert data["lines"][0]["unit_price"] == "3.85"
    assert data["lines"][0]["spec_revision_ids"] == [str(spec)]
    rid = data["id"]

    patched = client.patch(f"/api/v1/requirements/{rid}", json={"ship_to": None}, headers=erp)
    assert patched.status_code == 200
    assert patched.json["readiness"]["ready"] is False
    assert {f["field"] for f in patched.json["readiness"]["findings"]} == {"ship_to"}
    assert len(patched.json["lines"]) == 1  # lines not sent: kept

    readiness = client.get(f"/api/v1/requirements/{rid}/readiness", headers=erp)
    assert readiness.json["findings"][0]["message"] == "Enter where the goods are to be delivered."

    client.patch(f"/api/v1/requirements/{rid}", json={"ship_to": "Dock 4"}, headers=erp)
    submitted = client.post(f"/api/v1/requirements/{rid}/submit", headers=erp)
    assert submitted.status_code == 200
    assert submitted.json["status"] == "submitted"
    assert submitted.json["snapshot_version"] == 1
    assert len(submitted.json["snapshot_sha256"]) == 64
    listed = client.get("/api/v1/requirements?status=submitted", headers=erp)
    assert [r["id"] for r in listed.json["items"]] == [rid]
    assert listed.json["page"] == 1 and listed.json["has_next"] is False
    unknown = client.get("/api/v1/requirements?status=shipped", headers=erp)
    assert unknown.status_code == 422 and "status" in unknown.json["errors"]


def test_validation_errors_name_the_field_and_change_nothing(app, world, erp):
    client = app.test_client()
    supplier = h.make_supplier(app, world)
    payload = body(world, supplier)
    payload["lines"][0]["quantity"] = "lots"
    payload["lines"].append({"description": "Second", "need_by": "31/12/2027"})
    response = client.post("/api/v1/requirements", json=payload, headers=erp)
    assert response.status_code == 422
    assert response.json["errors"] == {
        "lines[1].quantity": "Enter a number, like 12.50.",
        "lines[2].need_by": "Enter a date as YYYY-MM-DD, like 2027-03-31.",
    }
    response = client.post(
        "/api/v1/requirements", json=body(world, supplier, title=None), headers=erp
    )
    assert response.status_code == 422
    assert "title" in response.json["errors"]
    assert h.count_requirements(app, world.orgs["acme"]) == 0


def test_globex_ids_are_not_found_for_acme(app, world, erp):
    client = app.test_client()
    globex_supplier = h.make_supplier(app, world, "globex")
    globex_spec = h.make_spec(app, world, "globex")[0]
    response = client.post(
        "/api/v1/requirements",
        json=body(world, globex_supplier, lines=[h.good_line(spec_revision_ids=[globex_spec])]),
        headers=erp,
    )
    assert response.status_code == 422
    assert "not found" in response.json["errors"]["supplier_id"]
    assert "not found" in response.json["errors"]["lines[1].specs"]
    globex_req = h.submitted_for_globex(app, world)
    assert client.get(f"/api/v1/requirements/{globex_req}", headers=erp).status_code == 404
    assert client.post(f"/api/v1/requirements/{globex_req}/submit", headers=erp).status_code == 404
    assert h.count_requirements(app, world.orgs["acme"]) == 0


def test_read_only_tokens_cannot_write(app, world):
    client = app.test_client()
    viewer = h.api_headers(app, world.orgs["acme"], "viewer")
    supplier = h.make_supplier(app, world)
    assert (
        client.post("/api/v1/requirements", json=body(world, supplier), headers=viewer).status_code
        == 403
    )
    assert client.get("/api/v1/requirements", headers=viewer).status_code == 200


def test_a_provider_tool_reads_its_queue_and_decides(app, world):
    client = app.test_client()
    north = h.api_headers(app, world.orgs["north"], "buyer")
    draft = h.create_draft(app, world, h.good_data(world, h.make_supplier(app, world)))
    ready = h.submitted(app, world)
    lapsing = h.make_supplier(app, world)
    not_ready = h.submitted(app, world, supplier_id=lapsing)
    # Handed off ready; the supplier's qualification ran out since.
    h.supplier_changes(app, lapsing, qualified_until=h.today() - timedelta(days=1))
    page = client.get("/api/v1/queue?sort=sla", headers=north)
    assert page.status_code == 200
    ids = {item["id"] for item in page.json["items"]}
    assert ids == {str(ready), str(not_ready)}
    assert client.get(f"/api/v1/queue/{draft}", headers=north).status_code == 404
    assert client.get("/api/v1/requirements", headers=north).status_code == 404

    refused = client.post(f"/api/v1/queue/{not_ready}/accept", json={}, headers=north)
    assert refused.status_code == 422
    assert "supplier_id" in refused.json["errors"]
    returned = client.post(
        f"/api/v1/queue/{not_ready}/return",
        json={
            "reasons": [
                {"code": "supplier_not_qualified", "field": "supplier_id", "comment": "Lapsed"}
            ]
        },
        headers=north,
    )
    assert returned.status_code == 200 and returned.json["status"] == "returned"
    accepted = client.post(f"/api/v1/queue/{ready}/accept", json={"comment": "ok"}, headers=north)
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"
    bad = client.get("/api/v1/queue?status=draft", headers=north)
    assert bad.status_code == 422 and "status" in bad.json["errors"]
    other = h.api_headers(app, world.orgs["other"], "buyer")
    assert client.get(f"/api/v1/queue/{ready}", headers=other).status_code == 404
    assert uuid.UUID(page.json["items"][0]["id"])
