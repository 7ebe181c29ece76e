"""Statements from a known ledger (tests/support/billing.py has the figures by
hand), on both backends; the plan rules' errors; the statement count."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from baton.platform.audit import AuditEvent
from baton.platform.errors import ValidationFailed
from baton.tenants.billing import plans, statements
from baton.tenants.billing.models import Plan, PlanPeriod
from tests.foundation.test_read_statements import counted
from tests.support import billing as b
from tests.support import requirements as h


def _statement(app, world, month=b.MARCH, now=None):
    with h.as_provider(app, world, who="north_admin") as (session, _):
        return statements.provider_statement(session, world.orgs["north"], month, now=now)


def test_a_month_across_a_plan_change_is_prorated_and_priced_per_period(app, world):
    codes = b.known_month(app, world)
    s = _statement(app, world)
    assert [(p.plan_code, p.base_amount) for p in s.periods] == [
        (codes["basic"], D("96.77")),
        (codes["growth"], D("406.45")),
    ]
    basic, growth = (p.metrics[0] for p in s.periods)
    assert (basic.quantity, basic.included, basic.billable, basic.amount) == (
        D(120),
        D(10),
        D(110),
        D("105.00"),
    )
    assert [(t.quantity, t.unit_price, t.amount) for t in basic.tiers] == [
        (D(100), D("1.00"), D("100.00")),
        (D(10), D("0.50"), D("5.00")),
    ]
    assert (growth.quantity, growth.amount) == (D(30), D("12.00"))
    # Growth prices chasers too: a priced metric is a line even with no usage.
    assert [(m.metric, m.quantity, m.events, m.amount) for m in s.metrics] == [
        ("po_released", D(150), 6, D("117.00")),
        ("supplier_chase_sent", D(0), 0, D(0)),
    ]
    assert s.credit_amount == D("-20.00")
    assert s.total == D("600.22")
    assert s.forecast is None  # a past month


def test_each_client_gets_its_share_and_the_shares_add_up(app, world):
    b.known_month(app, world)
    s = _statement(app, world)
    acme, globex = s.client(world.orgs["acme"]), s.client(world.orgs["globex"])
    assert (acme.quantities["po_released"], acme.usage_amount) == (D(100), D("73.25"))
    assert (globex.quantities["po_released"], globex.usage_amount) == (D(50), D("43.75"))
    assert (globex.credit_amount, globex.total) == (D("-20.00"), D("23.75"))
    assert acme.usage_amount + globex.usage_amount == s.usage_amount


def test_the_current_month_has_a_forecast_at_the_month_to_date_rate(app, world):
    b.known_month(app, world)
    now = datetime(2025, 3, 16, 12, tzinfo=UTC)  # half of March gone (15.5 of 31 days)
    s = _statement(app, world, now=now)
    # Usage up to now: 120 on basic + 10 on growth (the 30th is still to come, yet
    # it is in the ledger, so the forecast counts all 150 so far: twice over).
    assert s.forecast.elapsed_share == D("0.5000")
    assert s.forecast.quantities["po_released"] == D("300.00")
    # Priced with growth (in force now): 300 x 0.40; plus the month's base fee.
    assert s.forecast.usage_amount == D("120.00")
    assert s.forecast.total == D("96.77") + D("406.45") + D("120.00")


def test_a_month_without_a_plan_shows_usage_but_charges_nothing(app, world):
    with h.service_session(app) as session:
        b.event(session, world, "acme", 5, b.at(3))
    s = _statement(app, world)
    assert not s.has_plan and s.currency is None
    assert s.unplanned == {"po_released": D(5)}
    assert s.total == 0


def test_a_plan_edit_moves_providers_to_the_new_terms_from_then_and_leaves_the_past(app, world):
    codes = b.known_month(app, world)
    with h.service_session(app) as session:
        plans.update_plan(
            session,
            codes["growth"],
            {"name": "Growth", "currency": "EUR", "base_fee": "900", "prices": {}},
            at=datetime(2025, 4, 1, tzinfo=UTC),
        )
    assert _statement(app, world).total == D("600.22")
    april = _statement(app, world, month=b.MARCH.replace(month=4))
    assert [(p.base_fee, p.base_amount) for p in april.periods] == [(D(900), D("900.00"))]


@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("code", {"code": "Bad Code!"}),
        ("currency", {"currency": "EURO"}),
        ("base_fee", {"base_fee": "-1"}),
        ("price_po_released", {"prices": {"po_released": "10:0-100@1,50-@0.5"}}),
        ("price_nonsense", {"prices": {"nonsense": "0:0-@1"}}),
    ],
)
def test_bad_plan_terms_name_the_field_and_change_nothing(app, world, field, data):
    good = {"code": f"ok-{world.suffix}", "name": "Ok", "currency": "EUR", "base_fee": "10"}
    with pytest.raises(ValidationFailed) as raised, h.service_session(app) as session:
        plans.create_plan(session, {**good, **data})
    assert field in raised.value.errors
    with h.service_session(app) as session:
        assert session.scalar(sa.select(Plan).where(Plan.code == good["code"])) is None


def test_assigning_is_audited_in_the_providers_chain_and_refuses_an_archived_plan(app, world):
    codes = b.make_plans(app, world)
    north = world.orgs["north"]
    with h.service_session(app) as session:
        plans.assign_plan(session, north, codes["basic"])
        plans.archive_plan(session, codes["growth"])
    with pytest.raises(ValidationFailed) as raised, h.service_session(app) as session:
        plans.assign_plan(session, north, codes["growth"])
    assert "plan" in raised.value.errors
    with h.service_session(app) as session:
        events = session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.tenant_id == north, AuditEvent.action == "billing.plan_assigned"
            )
        ).all()
        assert [e.changes["plan"] for e in events] == [[None, codes["basic"]]]
        periods = session.scalars(sa.select(PlanPeriod).where(PlanPeriod.provider_id == north))
        assert [p.ends_at for p in periods] == [None]


@pytest.mark.postgres
def test_a_statement_costs_the_same_statements_with_six_events_or_sixty(pg_app, pg_world):
    app, world = pg_app, pg_world
    b.known_month(app, world)
    _statement(app, world)
    with counted(app) as few:
        _statement(app, world)
    with h.service_session(app) as session:
        for day in range(1, 28):
            b.event(session, world, "acme", 1, b.at(day))
            b.event(session, world, "globex", 2, b.at(day), metric="supplier_chase_sent")
    with counted(app) as many:
        s = _statement(app, world)
    assert s.metrics[0].events == 6 + 27
    assert len(many) == len(few)
