"""A handoff with hard readiness failures never goes out: the form, the detail
page, the API and the import with hand-off refuse it, listing what to fix, and
change nothing. Warnings go out once the person confirms them."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.handoff.test_import import header_row, line_row, requirements_of, to_csv
from tests.handoff.test_requirements import form_of
from tests.handoff.test_requirements_api import body
from tests.support import requirements as h
from tests.support.world import login

LONG_AGO = date(2020, 3, 1)


@pytest.fixture
def sourcing(app, world):
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    return client


@pytest.fixture
def erp(app, world):
    return h.api_headers(app, world.orgs["acme"], "sourcing")


def failing(world) -> dict:
    """No supplier, quantity -5, quote and need-by in 2020."""
    return h.good_data(
        world,
        None,
        quote_valid_until=LONG_AGO,
        lines=[h.good_line(quantity=Decimal("-5"), need_by=LONG_AGO)],
    )


def with_warnings(app, world) -> dict:
    supplier = h.make_supplier(app, world, status="conditional", name="Brightline")
    return h.good_data(world, supplier)


def test_save_and_hand_off_refuses_hard_failures_listing_them(app, world, sourcing):
    before = h.count_requirements(app, world.orgs["acme"])
    form = form_of(failing(world)) | {"action": "submit"}
    response = sourcing.post("/client/requirements/new", data=form)
    assert response.status_code == 422
    assert "handed off" not in response.text
    found = dict(
        re.findall(r'data-testid="field-error" data-field="([^"]+)">([^<]*)<', response.text)
    )
    assert "Choose the supplier who won the award." in found["supplier_id"]
    assert "The quote expired on 1 Mar 2020" in found["quote_valid_until"]
    assert "the quantity must be more than zero" in found["lines[1].quantity"]
    assert "is not in the future" in found["lines[1].need_by"]
    assert h.count_requirements(app, world.orgs["acme"]) == before  # not even the draft


def test_the_detail_page_refuses_to_hand_off_a_failing_draft(app, world, sourcing):
    rid = h.create_draft(app, world, failing(world))
    response = sourcing.post(f"/client/requirements/{rid}/submit", follow_redirects=True)
    assert "Not handed off: 4 things must be fixed before handing this off." in response.text
    assert "Choose the supplier who won the award." in response.text
    assert h.load(app, rid).status == "draft" and h.load(app, rid).current_snapshot_id is None


def test_the_api_refuses_hard_failures_with_422_naming_each_field(app, world, erp):
    rid = h.create_draft(app, world, failing(world))
    response = app.test_client().post(f"/api/v1/requirements/{rid}/submit", headers=erp)
    assert response.status_code == 422
    errors = response.json["errors"]
    assert {"supplier_id", "quote_valid_until", "lines[1].quantity", "lines[1].need_by"} <= set(
        errors
    )
    assert response.json["message"].startswith("Not handed off: 4 things must be fixed")
    assert h.load(app, rid).status == "draft"
    # Even a confirmation of warnings cannot hand off a hard failure.
    forced = app.test_client().post(
        f"/api/v1/requirements/{rid}/submit", json={"accept_warnings": True}, headers=erp
    )
    assert forced.status_code == 422 and h.load(app, rid).status == "draft"


def test_warnings_go_out_once_confirmed_web_and_api(app, world, sourcing, erp):
    rid = h.create_draft(app, world, with_warnings(app, world))
    page = sourcing.get(f"/client/requirements/{rid}")
    assert 'data-testid="accept-warnings"' in page.text
    refused = sourcing.post(f"/client/requirements/{rid}/submit", follow_redirects=True)
    assert "Not handed off: 1 warning to confirm" in refused.text
    assert h.load(app, rid).status == "draft"
    confirmed = sourcing.post(f"/client/requirements/{rid}/submit", data={"accept_warnings": "on"})
    assert confirmed.status_code == 302 and h.load(app, rid).status == "submitted"

    client = app.test_client()
    other = client.post(
        "/api/v1/requirements",
        json=body(world, h.make_supplier(app, world, status="conditional")),
        headers=erp,
    ).json["id"]
    unconfirmed = client.post(f"/api/v1/requirements/{other}/submit", headers=erp)
    assert unconfirmed.status_code == 422
    assert {"supplier_id", "accept_warnings"} <= set(unconfirmed.json["errors"])
    ok = client.post(
        f"/api/v1/requirements/{other}/submit", json={"accept_warnings": True}, headers=erp
    )
    assert ok.status_code == 200 and ok.json["status"] == "submitted"


def test_the_import_with_hand_off_refuses_failing_rows_and_writes_nothing(app, world, sourcing):
    h.make_supplier(app, world, code="BOLT")
    past = (h.today() - timedelta(days=3)).isoformat()
    rows = [
        header_row("G-1", "BOLT") | line_row("G-1", 1),
        header_row("G-2", "BOLT", ship_to="") | line_row("G-2", 1, quantity="-5", need_by=past),
    ]
    data = {"file": (io.BytesIO(to_csv(rows)), "reqs.csv"), "submit": "on"}
    response = sourcing.post(
        "/client/requirements/import/", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    cells = set(re.findall(r"<tr><td>(\d+|—)</td><td>([^<]+)</td>", response.text))
    assert {("3", "ship_to"), ("3", "quantity"), ("3", "need_by")} <= cells
    assert requirements_of(app, world.orgs["acme"]) == []


def test_the_import_hands_off_warnings_only_when_confirmed(app, world, sourcing):
    h.make_supplier(app, world, code="COND", status="conditional")
    rows = [header_row("W-1", "COND") | line_row("W-1", 1)]

    def send(**extra):
        data = {"file": (io.BytesIO(to_csv(rows)), "reqs.csv"), "submit": "on"} | extra
        return sourcing.post(
            "/client/requirements/import/", data=data, content_type="multipart/form-data"
        )

    refused = send()
    assert refused.status_code == 422
    assert "W-1 has warnings" in refused.text
    assert requirements_of(app, world.orgs["acme"]) == []
    accepted = send(accept_warnings="on")
    assert "1 requirement with 1 line imported and handed off" in accepted.text
    assert [r.status for r in requirements_of(app, world.orgs["acme"])] == ["submitted"]
