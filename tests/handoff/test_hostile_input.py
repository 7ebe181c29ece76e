"""Input that used to answer 500: each is a clear 4xx naming the field, and
nothing is written."""

from __future__ import annotations

import pytest

from tests.support import requirements as h
from tests.support.world import login


@pytest.fixture
def erp(app, world):
    return app.test_client(), h.api_headers(app, world.orgs["acme"], "sourcing")


def test_a_lone_surrogate_in_a_text_field_is_refused_by_name(app, world, erp):
    client, headers = erp
    body = '{"name": "Bad \\ud800 name", "code": "SURR-1", "currency": "EUR"}'
    response = client.post(
        "/api/v1/suppliers", data=body, headers=headers | {"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert "name" in response.get_json()["errors"]
    listing = client.get("/api/v1/suppliers?q=SURR-1", headers=headers).get_json()
    assert listing["items"] == []


def test_a_body_nested_too_deeply_is_a_400_not_a_crash(app, world, erp):
    client, headers = erp
    response = client.post(
        "/api/v1/suppliers",
        data="[" * 100_000,
        headers=headers | {"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "JSON" in response.get_json()["message"]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/requirements?page={}", "/api/v1/suppliers?page={}", "/api/v1/queue?page={}"],
)
def test_an_absurd_page_number_on_an_api_list_names_the_page(app, world, path):
    org = world.orgs["north"] if "queue" in path else world.orgs["acme"]
    headers = h.api_headers(app, org, "buyer" if "queue" in path else "sourcing")
    response = app.test_client().get(path.format("99999999999999999999"), headers=headers)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert "page" in response.get_json()["errors"]


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("acme_sourcing", "/client/requirements/?page={}"),
        ("acme_sourcing", "/client/suppliers/?page={}"),
        ("north_buyer", "/provider/queue/?page={}"),
    ],
)
def test_an_absurd_page_number_on_a_page_is_a_clear_refusal(app, world, who, path):
    browser = app.test_client()
    login(browser, world.email(who))
    response = browser.get(path.format("99999999999999999999"))
    assert response.status_code == 422
    assert "page" in response.get_data(as_text=True).lower()


@pytest.mark.parametrize("field", ["quantity", "unit_price"])
def test_an_overflowing_number_is_refused_by_name(app, world, erp, field):
    client, headers = erp
    data = h.good_data(world, h.make_supplier(app, world))
    payload = {
        "client_reference": data["client_reference"],
        "title": "Overflow",
        "engagement_id": str(world.engagements["acme-north"]),
        "lines": [{"description": "Bracket", "quantity": "10", "unit": "each"}],
    }
    payload["lines"][0][field] = "1e999999999"
    before = h.count_requirements(app, world.orgs["acme"])
    response = client.post("/api/v1/requirements", json=payload, headers=headers)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert any(field in key for key in response.get_json()["errors"])
    assert h.count_requirements(app, world.orgs["acme"]) == before


def test_replacing_every_line_of_a_draft_just_works(app, world, erp):
    client, headers = erp
    data = h.good_data(world, h.make_supplier(app, world))
    payload = {
        "client_reference": data["client_reference"],
        "title": "Replace my lines",
        "engagement_id": str(world.engagements["acme-north"]),
        "lines": [
            {"description": "Old bracket", "quantity": "10", "unit": "each"},
            {"description": "Old bolt", "quantity": "5", "unit": "each"},
        ],
    }
    created = client.post("/api/v1/requirements", json=payload, headers=headers)
    assert created.status_code == 201
    rid = created.get_json()["id"]
    new_lines = [{"description": "New washer", "quantity": "7", "unit": "each"}]
    patched = client.patch(
        f"/api/v1/requirements/{rid}", json={"lines": new_lines}, headers=headers
    )
    assert patched.status_code == 200, patched.get_data(as_text=True)[:300]
    lines = patched.get_json()["lines"]
    assert [(line["line_no"], line["description"]) for line in lines] == [(1, "New washer")]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "Brackets\r\nBcc: someone@example.com", "one line"),
        ("title", "Brackets\x00", "NUL"),
        ("client_reference", "REQ-\n1", "one line"),
    ],
)
def test_line_breaks_and_nul_in_one_line_fields_are_refused_by_name(
    app, world, erp, field, value, message
):
    client, headers = erp
    data = h.good_data(world, h.make_supplier(app, world))
    payload = {
        "client_reference": data["client_reference"],
        "title": "Fine",
        "engagement_id": str(world.engagements["acme-north"]),
        "lines": [{"description": "Bracket", "quantity": "10", "unit": "each"}],
    }
    payload[field] = value
    before = h.count_requirements(app, world.orgs["acme"])
    response = client.post("/api/v1/requirements", json=payload, headers=headers)
    assert response.status_code == 422
    assert message in response.get_json()["errors"][field]
    assert h.count_requirements(app, world.orgs["acme"]) == before


def test_a_ship_to_keeps_its_lines_with_one_kind_of_line_end(app, world, erp):
    client, headers = erp
    data = h.good_data(world, h.make_supplier(app, world))
    payload = {
        "client_reference": data["client_reference"],
        "title": "Two-line address",
        "engagement_id": str(world.engagements["acme-north"]),
        "ship_to": "Plant 2\r\nDock 4",
        "lines": [{"description": "Bracket", "quantity": "10", "unit": "each"}],
    }
    created = client.post("/api/v1/requirements", json=payload, headers=headers)
    assert created.status_code == 201
    assert created.get_json()["ship_to"] == "Plant 2\nDock 4"


def test_a_supplier_address_and_notes_have_a_length_limit(app, world, erp):
    client, headers = erp
    body = {"name": "Long Ltd", "code": "LONG-1", "currency": "EUR", "address": "x" * 200_000}
    response = client.post("/api/v1/suppliers", json=body, headers=headers)
    assert response.status_code == 422
    assert "2000" in response.get_json()["errors"]["address"]
    body = {"name": "Nul Ltd", "code": "NUL-1", "currency": "EUR", "name\x00": "x"}
    assert client.post("/api/v1/suppliers", json=body, headers=headers).status_code == 422


def test_a_requirement_currency_must_be_a_real_iso_4217_code(app, world, erp):
    client, headers = erp
    data = h.good_data(world, h.make_supplier(app, world))
    payload = {
        "client_reference": data["client_reference"],
        "title": "Made-up money",
        "engagement_id": str(world.engagements["acme-north"]),
        "currency": "XYZ",
        "lines": [{"description": "Bracket", "quantity": "10", "unit": "each"}],
    }
    response = client.post("/api/v1/requirements", json=payload, headers=headers)
    assert response.status_code == 422
    assert "currency" in response.get_json()["errors"]
