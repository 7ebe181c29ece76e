"""The supplier API: bearer tokens, field-named validation errors that change
nothing, and 404 for another client's supplier."""

from __future__ import annotations

import uuid

from baton.platform.db import db
from baton.platform.request_context import Actor, acting_as
from baton.platform.tenancy import SERVICE_CONTEXT
from tests.handoff.test_suppliers import add_supplier, count_suppliers, read_supplier


def api_token(app, org_id: uuid.UUID, role: str) -> dict:
    from baton.tenants import services
    from baton.tenants.models import Organisation

    with app.app_context(), acting_as(Actor("system", None, "test")):
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            token, _row = services.create_api_token(
                session, session.get(Organisation, org_id), name="ERP", role=role, created_by=None
            )
            session.commit()
        finally:
            session.close()
    return {"Authorization": f"Bearer {token}"}


def test_an_erp_creates_reads_lists_and_patches_a_supplier(app, world):
    auth = api_token(app, world.orgs["acme"], "sourcing")
    client = app.test_client()
    created = client.post(
        "/api/v1/suppliers",
        json={
            "name": "API Supplier",
            "code": "api-1",
            "currency": "USD",
            "categories": ["Bearings"],
            "qualified_until": "2029-06-30",
            "incoterms": "FOB",
        },
        headers=auth,
    )
    assert created.status_code == 201, created.json
    body = created.json
    assert body["code"] == "API-1"
    assert body["qualification_status"] == "qualified"
    assert body["qualification_lapsed"] is False
    supplier_id = body["id"]

    got = client.get(f"/api/v1/suppliers/{supplier_id}", headers=auth)
    assert got.status_code == 200 and got.json["name"] == "API Supplier"

    listed = client.get("/api/v1/suppliers?q=api-1", headers=auth)
    assert [s["id"] for s in listed.json["items"]] == [supplier_id]

    patched = client.patch(
        f"/api/v1/suppliers/{supplier_id}",
        json={"qualified_until": "2020-01-31", "payment_terms": "Net 15"},
        headers=auth,
    )
    assert patched.status_code == 200, patched.json
    assert patched.json["payment_terms"] == "Net 15"
    assert patched.json["qualification_lapsed"] is True
    assert patched.json["qualification"] == "Qualification lapsed on 2020-01-31"
    lapsed = client.get("/api/v1/suppliers?lapsed=true&q=api-1", headers=auth)
    assert [s["id"] for s in lapsed.json["items"]] == [supplier_id]


def test_validation_errors_name_the_field_and_change_nothing(app, world):
    acme = world.orgs["acme"]
    auth = api_token(app, acme, "sourcing")
    client = app.test_client()
    before = count_suppliers(app, acme)
    bad = client.post(
        "/api/v1/suppliers", json={"name": "X", "code": "X-1", "currency": "EURO"}, headers=auth
    )
    assert bad.status_code == 422
    assert "currency" in bad.json["errors"]
    missing = client.post("/api/v1/suppliers", json={"name": "X"}, headers=auth)
    assert missing.status_code == 422
    assert {"code", "currency"} <= set(missing.json["errors"])
    unknown = client.post(
        "/api/v1/suppliers",
        json={"name": "X", "code": "X-2", "currency": "EUR", "colour": "red"},
        headers=auth,
    )
    assert unknown.status_code == 422 and "colour" in unknown.json["errors"]
    assert count_suppliers(app, acme) == before

    supplier = add_supplier(app, acme, payment_terms="Net 30")
    clash = add_supplier(app, acme)
    response = client.patch(
        f"/api/v1/suppliers/{supplier.id}",
        json={"payment_terms": "Net 90", "code": clash.code},
        headers=auth,
    )
    assert response.status_code == 422
    assert clash.code in response.json["errors"]["code"]
    assert read_supplier(app, supplier.id).payment_terms == "Net 30"


def test_another_clients_supplier_answers_404_and_stays_unchanged(app, world):
    theirs = add_supplier(app, world.orgs["globex"], name="Globex Only")
    auth = api_token(app, world.orgs["acme"], "admin")
    client = app.test_client()
    assert client.get(f"/api/v1/suppliers/{theirs.id}", headers=auth).status_code == 404
    patched = client.patch(f"/api/v1/suppliers/{theirs.id}", json={"name": "Mine"}, headers=auth)
    assert patched.status_code == 404
    listed = client.get("/api/v1/suppliers?q=Globex Only", headers=auth)
    assert listed.json["items"] == []
    assert read_supplier(app, theirs.id).name == "Globex Only"


def test_read_only_tokens_and_provider_tokens_cannot_write(app, world):
    acme = world.orgs["acme"]
    supplier = add_supplier(app, acme)
    client = app.test_client()
    viewer = api_token(app, acme, "viewer")
    assert client.get(f"/api/v1/suppliers/{supplier.id}", headers=viewer).status_code == 200
    denied = client.post(
        "/api/v1/suppliers", json={"name": "V", "code": "V-1", "currency": "EUR"}, headers=viewer
    )
    assert denied.status_code == 403
    provider = api_token(app, world.orgs["north"], "admin")
    assert client.get(f"/api/v1/suppliers/{supplier.id}", headers=provider).status_code == 404
    assert client.get("/api/v1/suppliers").status_code == 401
