"""The requirement form and API report every problem at once: a cell that does
not parse (``12,50`` typed in English) stands beside a duplicate reference and a
missing title, and the readiness panel keeps every other finding. Numbers are
read as the user writes them (``1.234,50`` in German, ``1,234.50`` in English)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.handoff.test_requirements import form_of, requirement_id_from
from tests.handoff.test_requirements_api import body
from tests.support import requirements as h
from tests.support.world import login

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


@pytest.fixture
def sourcing(app, world):
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    return client


@pytest.fixture
def erp(app, world):
    return h.api_headers(app, world.orgs["acme"], "sourcing")


def field_errors(text: str) -> dict[str, str]:
    found = re.findall(r'data-testid="field-error" data-field="([^"]+)">([^<]*)<', text)
    return dict(found)


def test_a_number_that_does_not_parse_hides_no_other_error(app, world, sourcing):
    supplier = h.make_supplier(app, world)
    taken = h.good_data(world, supplier)
    h.create_draft(app, world, taken)
    before = h.count_requirements(app, world.orgs["acme"])
    data = h.good_data(world, supplier, client_reference=taken["client_reference"], title=None)
    form = form_of(data) | {"lines-0-unit_price": "12,50"}
    response = sourcing.post("/client/requirements/new", data=form)
    assert response.status_code == 422
    errors = field_errors(response.text)
    assert f"Another requirement already uses {taken['client_reference']}." in errors.get(
        "client_reference", ""
    )
    assert "Give the requirement a title" in errors.get("title", "")
    assert "Enter a number, like 1,234.50. Did you mean" in errors.get("lines[1].unit_price", "")
    assert h.count_requirements(app, world.orgs["acme"]) == before


def test_the_readiness_panel_keeps_every_finding_beside_a_bad_cell(app, world, sourcing):
    data = h.good_data(world, h.make_supplier(app, world), ship_to=None)
    form = form_of(data) | {"lines-0-unit_price": "12,50", "lines-0-need_by": ""}
    panel = sourcing.post("/client/requirements/readiness-preview", data=form)
    assert panel.status_code == 200
    fields = set(re.findall(r'data-testid="finding" data-field="([^"]+)"', panel.text))
    assert {"lines[1].unit_price", "ship_to", "lines[1].need_by"} <= fields
    assert "Not ready: 3 things must be fixed" in panel.text


def test_german_numbers_are_read_and_shown_as_germans_write_them(app, world, sourcing):
    data = h.good_data(world, h.make_supplier(app, world))
    form = form_of(data) | {"lines-0-quantity": "1.250", "lines-0-unit_price": "1.234,50"}
    response = sourcing.post("/client/requirements/new", data=form, headers=GERMAN)
    assert response.status_code == 302, field_errors(response.text)
    rid = requirement_id_from(response)
    line = h.load_lines(app, rid)[0]
    assert (line.quantity, line.unit_price) == (Decimal("1250"), Decimal("1234.50"))
    page = sourcing.get(f"/client/requirements/{rid}/edit", headers=GERMAN)
    assert 'value="1234,5"' in page.text
    english = sourcing.get(f"/client/requirements/{rid}/edit")
    assert 'value="1234.5"' in english.text


def test_english_numbers_take_a_thousands_comma(app, world, sourcing):
    data = h.good_data(world, h.make_supplier(app, world))
    form = form_of(data) | {"lines-0-unit_price": "1,234.50"}
    response = sourcing.post("/client/requirements/new", data=form)
    assert response.status_code == 302, field_errors(response.text)
    line = h.load_lines(app, requirement_id_from(response))[0]
    assert line.unit_price == Decimal("1234.50")


def test_the_api_reports_a_duplicate_reference_beside_a_bad_number(app, world, erp):
    client = app.test_client()
    supplier = h.make_supplier(app, world)
    first = body(world, supplier)
    assert client.post("/api/v1/requirements", json=first, headers=erp).status_code == 201
    before = h.count_requirements(app, world.orgs["acme"])
    again = body(world, supplier, client_reference=first["client_reference"])
    again["lines"][0]["quantity"] = "a dozen"
    response = client.post("/api/v1/requirements", json=again, headers=erp)
    assert response.status_code == 422
    errors = response.json["errors"]
    assert "already uses" in errors["client_reference"]
    assert "lines[1].quantity" in errors
    assert h.count_requirements(app, world.orgs["acme"]) == before


def test_a_duplicate_reference_is_refused_on_the_first_save(app, world, sourcing, erp):
    supplier = h.make_supplier(app, world)
    taken = h.good_data(world, supplier)
    h.create_draft(app, world, taken)
    before = h.count_requirements(app, world.orgs["acme"])
    form = form_of(h.good_data(world, supplier, client_reference=taken["client_reference"]))
    page = sourcing.post("/client/requirements/new", data=form)
    assert page.status_code == 422
    assert "already uses" in field_errors(page.text)["client_reference"]
    api = app.test_client().post(
        "/api/v1/requirements",
        json=body(world, supplier, client_reference=taken["client_reference"]),
        headers=erp,
    )
    assert api.status_code == 422 and "already uses" in api.json["errors"]["client_reference"]
    assert h.count_requirements(app, world.orgs["acme"]) == before
