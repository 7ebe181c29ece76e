"""The billing pages show the figures a user would see: the provider admin's
statement, the client admin's usage and its CSV, the operator's plans and
providers; and each refuses who may not see it."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from baton.tenants import services
from baton.tenants.billing.models import BillingAccount, Plan, PlanPeriod
from baton.tenants.models import Organisation
from tests.support import billing as b
from tests.support import requirements as h
from tests.support.world import PASSWORD, login


def _operator(app, world) -> str:
    email = f"operator.{world.suffix}@example.com"
    with h.service_session(app) as session:
        services.create_user(
            session, email=email, name="Olive Operator", password=PASSWORD, operator=True
        )
    return email


def _signed_in(app, email):
    client = app.test_client()
    login(client, email)
    return client


def test_the_provider_admin_sees_the_statement_lines_clients_and_credit(app, world):
    codes = b.known_month(app, world)
    client = _signed_in(app, world.email("north_admin"))
    page = client.get("/provider/billing?month=2025-03")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for figure in (
        "€96.77",
        "€406.45",
        "€105.00",
        "€12.00",
        "-€20.00",
        "€600.22",
        "€73.25",
        "€43.75",
        "€23.75",
    ):
        assert figure in text, figure
    assert f"Growth {world.suffix}" in text and codes["basic"] in text
    assert f"Acme {world.suffix}" in text and f"Globex {world.suffix}" in text
    # No Stripe key in this app: the embedded note, with what would be pushed.
    assert "nothing is sent to Stripe in this installation" in text
    assert "Purchase orders released: 8 events" in text  # March's 6 and the two outside it


def test_a_bad_month_is_named_and_the_page_shows_this_month(app, world):
    client = _signed_in(app, world.email("north_admin"))
    page = client.get("/provider/billing?month=March")
    assert page.status_code == 200
    assert "&#39;March&#39; is not a month; write it as YYYY-MM" in page.get_data(as_text=True)


def test_only_the_provider_admin_sees_billing_and_only_their_own(app, world):
    b.known_month(app, world)
    assert _signed_in(app, world.email("north_buyer")).get("/provider/billing").status_code == 403
    assert _signed_in(app, world.email("acme_admin")).get("/provider/billing").status_code == 404
    other = _signed_in(app, world.email("other_admin")).get("/provider/billing?month=2025-03")
    text = other.get_data(as_text=True)
    assert other.status_code == 200 and "€600.22" not in text and f"Acme {world.suffix}" not in text


def test_the_client_admin_sees_its_own_share_and_exports_it(app, world):
    b.known_month(app, world)
    client = _signed_in(app, world.email("acme_admin"))
    text = client.get("/client/usage?month=2025-03").get_data(as_text=True)
    assert f"North {world.suffix}" in text and "100" in text
    assert "€" not in text  # quantities only: prices are the provider's business
    export = client.get("/client/usage/export?month=2025-03&format=csv")
    assert export.headers["Content-Disposition"] == 'attachment; filename="usage-2025-03.csv"'
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows == [
        ["Month", "Provider", "Metric", "Quantity", "Events"],
        ["2025-03", f"North {world.suffix}", "Purchase orders released", "100", "5"],
    ]
    globex = _signed_in(app, world.email("globex_admin")).get("/client/usage/export?month=2025-03")
    assert globex.get_data(as_text=True).count("\r\n") == 2  # header and its own 50
    assert "50" in globex.get_data(as_text=True)


def test_a_provider_named_like_a_formula_is_text_in_the_csv(app, world):
    b.known_month(app, world)
    with h.service_session(app) as session:
        session.get(Organisation, world.orgs["north"]).name = f"=HYPERLINK({world.suffix})"
    client = _signed_in(app, world.email("acme_admin"))
    body = client.get("/client/usage/export?month=2025-03").get_data(as_text=True)
    assert f"'=HYPERLINK({world.suffix})" in body


def test_usage_needs_the_client_admin(app, world):
    assert _signed_in(app, world.email("acme_sourcing")).get("/client/usage").status_code == 403
    assert _signed_in(app, world.email("north_admin")).get("/client/usage").status_code == 404


def test_the_operator_defines_a_plan_and_a_wrong_field_changes_nothing(app, world):
    client = _signed_in(app, _operator(app, world))
    code = f"scale-{world.suffix}"
    form = {
        "code": code,
        "name": "Scale",
        "currency": "EURO",
        "base_fee": "990",
        "price_po_released": "0:0-500@0.30,500-@0.20",
    }
    refused = client.post("/operator/plans/new", data=form)
    assert refused.status_code == 422
    assert "is not an ISO 4217 currency code" in refused.get_data(as_text=True)
    with h.service_session(app) as session:
        assert session.scalar(sa.select(Plan).where(Plan.code == code)) is None
    assert client.post("/operator/plans/new", data={**form, "currency": "EUR"}).status_code == 302
    listing = client.get("/operator/plans").get_data(as_text=True)
    assert code in listing and "€990.00" in listing
    edit = client.get(f"/operator/plans/edit?code={code}").get_data(as_text=True)
    assert "0:0-500@0.3,500-@0.2" in edit
    bad_tiers = client.post(
        f"/operator/plans/edit?code={code}",
        data={**form, "currency": "EUR", "price_po_released": "0:0-500@0.30"},
    )
    assert bad_tiers.status_code == 422
    assert "The last tier must be open-ended" in bad_tiers.get_data(as_text=True)


def test_the_operator_sees_every_provider_and_assigns_a_plan(app, world):
    codes = b.known_month(app, world)
    client = _signed_in(app, _operator(app, world))
    page = client.get("/operator/billing?month=2025-03").get_data(as_text=True)
    north = world.orgs["north"]
    assert f"North {world.suffix}" in page and f"Other {world.suffix}" in page
    assert "€620.22" in page  # MRR: base 503.22 + usage 117.00, the credit beside it
    response = client.post(
        "/operator/billing/assign",
        data={"provider_id": str(world.orgs["other"]), "plan": codes["basic"]},
    )
    assert response.status_code == 302
    with h.service_session(app) as session:
        account = session.scalar(
            sa.select(BillingAccount).where(BillingAccount.provider_id == world.orgs["other"])
        )
        assert session.get(Plan, account.plan_id).code == codes["basic"]
        assert (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(PlanPeriod)
                .where(PlanPeriod.provider_id == north)
            )
            == 2
        )


def test_operator_pages_are_not_found_for_anyone_else(app, world):
    for who in ("north_admin", "acme_admin"):
        client = _signed_in(app, world.email(who))
        assert client.get("/operator/billing").status_code == 404
        assert client.post("/operator/plans/new", data={"code": "x"}).status_code == 404
    assert app.test_client().get("/operator/plans").status_code == 302  # to sign in


def test_the_api_gives_the_provider_its_statement_and_the_client_its_usage(app, world):
    b.known_month(app, world)
    client = app.test_client()
    provider = h.api_headers(app, world.orgs["north"], "admin")
    body = client.get("/api/v1/billing/statement?month=2025-03", headers=provider).get_json()
    assert (body["month"], body["currency"], body["total"]) == ("2025-03", "EUR", "600.22")
    assert [p["base_amount"] for p in body["periods"]] == ["96.77", "406.45"]
    assert {c["name"]: c["usage_amount"] for c in body["clients"]} == {
        f"Acme {world.suffix}": "73.25",
        f"Globex {world.suffix}": "43.75",
    }
    buyer = h.api_headers(app, world.orgs["north"], "buyer")
    assert client.get("/api/v1/billing/statement", headers=buyer).status_code == 403
    bad = client.get("/api/v1/billing/statement?month=2025-13", headers=provider)
    assert bad.status_code == 422 and "month" in bad.get_json()["errors"]
    acme = h.api_headers(app, world.orgs["acme"], "admin")
    usage = client.get("/api/v1/usage?month=2025-03", headers=acme).get_json()
    assert usage["providers"] == [
        {
            "provider_id": str(world.orgs["north"]),
            "name": f"North {world.suffix}",
            "quantities": {"po_released": "100"},
            "events": {"po_released": 5},
        }
    ]
    assert client.get("/api/v1/usage", headers=provider).status_code == 404
