"""A supplier's country is an ISO 3166-1 code wherever it is entered: the
form, the API and the CSV import refuse ZZ and UK (saying GB), naming the field."""

from __future__ import annotations

from tests.handoff.test_suppliers import GOOD, count_suppliers
from tests.handoff.test_suppliers_api import api_token
from tests.handoff.test_suppliers_import import _problem_rows, suppliers_of, upload
from tests.support.world import login


def test_the_supplier_form_refuses_a_country_that_is_not_iso_3166(app, world):
    acme = world.orgs["acme"]
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    before = count_suppliers(app, acme)
    unknown = client.post("/client/suppliers/new", data=GOOD | {"country": "ZZ"})
    assert unknown.status_code == 422
    assert "&#39;ZZ&#39; is not an ISO 3166 country code" in unknown.text
    uk = client.post("/client/suppliers/new", data=GOOD | {"country": "uk"})
    assert uk.status_code == 422
    assert "UK is not an ISO 3166 country code; use GB (United Kingdom)." in uk.text
    assert count_suppliers(app, acme) == before
    good = client.post("/client/suppliers/new", data=GOOD | {"country": "gb"})
    assert good.status_code == 302


def test_the_supplier_api_refuses_zz_and_uk_naming_the_country(app, world):
    acme = world.orgs["acme"]
    auth = api_token(app, acme, "sourcing")
    client = app.test_client()
    before = count_suppliers(app, acme)
    base = {"name": "Albion Castings", "code": "ALB-1", "currency": "GBP"}
    for code, says in (("ZZ", "is not an ISO 3166 country code"), ("UK", "use GB")):
        response = client.post("/api/v1/suppliers", json=base | {"country": code}, headers=auth)
        assert response.status_code == 422
        assert says in response.json["errors"]["country"]
    assert count_suppliers(app, acme) == before
    assert (
        client.post("/api/v1/suppliers", json=base | {"country": "GB"}, headers=auth).json[
            "country"
        ]
        == "GB"
    )


def test_the_supplier_import_reports_a_bad_country_by_row_and_writes_nothing(app, world):
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    response = upload(
        client,
        "name,code,currency,country\nFine Ltd,FIN-1,GBP,GB\nAlbion,ALB-2,GBP,UK\nNowhere,NOW-1,EUR,ZZ\n",
    )
    assert response.status_code == 422
    rows = _problem_rows(response.text)
    assert {("3", "country"), ("4", "country")} <= rows
    assert "use GB" in response.text
    assert "FIN-1" not in suppliers_of(app, world.orgs["acme"])
