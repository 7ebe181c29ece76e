"""Without Stripe the billing page lists the past months' statements from the
ledger, as what Stripe would invoice (never as invoices), each viewable and
downloadable; a provider admin sees only its own."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from baton.platform.formatting import amount
from baton.tenants.billing import plans, statements
from tests.support import billing as b
from tests.support import requirements as h
from tests.support.world import login


def _last_month(app, world):
    """North on growth since the month before last; acme's and globex's orders last month."""
    codes = b.make_plans(app, world)
    current = statements.parse_month(None)
    last = statements.shift(current, -1)
    start = datetime(last.year, last.month, 1, tzinfo=UTC)
    with h.service_session(app) as session:
        plans.assign_plan(
            session, world.orgs["north"], codes["growth"], at=start - timedelta(days=20)
        )
        b.event(session, world, "acme", 30, start + timedelta(days=2))
        b.event(session, world, "globex", 12, start + timedelta(days=9, hours=5))
        b.event(session, world, "acme", 8, start + timedelta(days=3), metric="supplier_chase_sent")
        b.event(session, world, "acme", 7, datetime.now(UTC))  # this month: not last month's
    with h.service_session(app) as session:
        statement = statements.provider_statement(session, world.orgs["north"], last)
    return last, statement


def _signed_in(app, email):
    client = app.test_client()
    login(client, email)
    return client


def test_the_provider_admin_sees_last_months_statement_as_what_stripe_would_invoice(app, world):
    last, statement = _last_month(app, world)
    assert statement.total == Decimal("600.00") + Decimal("16.80") + Decimal("0.30")
    client = _signed_in(app, world.email("north_admin"))
    text = client.get("/provider/billing").get_data(as_text=True)
    assert "What Stripe would invoice" in text
    assert "nothing below was invoiced or sent" in text
    row = text.split(f'data-testid="would-invoice-{last:%Y-%m}"', 1)[1].split("</tr>", 1)[0]
    assert last.strftime("%B %Y") in row and f"Growth {world.suffix}" in row
    for figure in (statement.base_amount, statement.usage_amount, statement.total):
        assert amount(figure, "EUR") in row, figure
    assert f"month={last:%Y-%m}" in row

    viewed = client.get(f"/provider/billing?month={last:%Y-%m}").get_data(as_text=True)
    assert amount(statement.total, "EUR") in viewed

    download = client.get(f"/provider/billing/statement?month={last:%Y-%m}")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Month", "Line"]
    total = next(r for r in rows if r[1] == "Total")
    assert Decimal(total[7]) == statement.total
    lines = [r for r in rows[1:] if r[1] != "Total" and "units" not in r[1]]
    assert sum(Decimal(r[7]) for r in lines) == statement.total
    xlsx = client.get(f"/provider/billing/statement?month={last:%Y-%m}&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_another_providers_admin_never_sees_them(app, world):
    last, statement = _last_month(app, world)
    other = _signed_in(app, world.email("other_admin"))
    text = other.get("/provider/billing").get_data(as_text=True)
    assert f"would-invoice-{last:%Y-%m}" not in text
    assert amount(statement.total, "EUR") not in text
    download = other.get(f"/provider/billing/statement?month={last:%Y-%m}")
    assert download.status_code == 200
    body = download.get_data(as_text=True)
    assert f"Growth {world.suffix}" not in body and f"Acme {world.suffix}" not in body
    assert f"{statement.total}" not in body
    assert (
        _signed_in(app, world.email("acme_admin"))
        .get(f"/provider/billing/statement?month={last:%Y-%m}")
        .status_code
        == 404
    )
    assert (
        _signed_in(app, world.email("north_buyer"))
        .get(f"/provider/billing/statement?month={last:%Y-%m}")
        .status_code
        == 403
    )


def test_a_bad_month_or_format_is_named(app, world):
    client = _signed_in(app, world.email("north_admin"))
    page = client.get("/provider/billing/statement?month=March")
    assert page.status_code == 422 and "month" in page.get_data(as_text=True)
    page = client.get("/provider/billing/statement?format=pdf")
    assert page.status_code == 422 and "csv or xlsx" in page.get_data(as_text=True)
