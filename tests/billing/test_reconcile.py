"""The daily reconciliation: Stripe's meter summaries against the ledger's pushed
events, every figure kept, operators alerted once per provider and day on any
difference."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from baton.platform.db import utcnow
from baton.platform.outbox import OutboxMessage
from baton.tenants.billing import reconcile
from tests.support import billing_push as bp
from tests.support import orders as o
from tests.support import requirements as h
from tests.support.world import make_world


@pytest.fixture
def world(stripe_app):
    yield make_world(stripe_app)
    bp.clear_pause(stripe_app)


@pytest.fixture
def operator(stripe_app) -> str:
    from baton.tenants import services

    email = f"operator.{uuid.uuid4().hex[:6]}@baton.example"
    with h.service_session(stripe_app) as session:
        user = services.create_user(session, email=email, name="Operator", password="x" * 12)
        user.is_operator = True
    return email


def _reconcile(app, world, day=None):
    with h.service_session(app) as session:
        result = reconcile.run(session, day or utcnow().date(), [world.orgs["north"]])
        rows = reconcile.reconciliations(session, provider_id=world.orgs["north"])
        session.expunge_all()
    return result, rows


def _alerts(app, world, day) -> list[OutboxMessage]:
    key = f"notify:billing-reconcile:{world.orgs['north']}:{day.isoformat()}"
    with h.service_session(app) as session:
        return list(session.scalars(sa.select(OutboxMessage).filter_by(dedup_key=key)))


def test_pushed_usage_reconciles_and_nothing_is_sent(stripe_app, world, operator):
    o.released(stripe_app, world)
    bp.run_push(stripe_app, world.orgs["north"])
    day = utcnow().date()
    result, rows = _reconcile(stripe_app, world, day)
    assert (result.providers, result.differences) == (1, 0)
    figures = {(r.period, r.metric): r.stripe_value for r in rows}
    assert figures[("day", "po_released")] == figures[("month", "po_released")] == Decimal(1)
    assert len(rows) == 12 and all(r.agrees for r in rows)
    assert _alerts(stripe_app, world, day) == []


def test_a_difference_is_kept_and_alerts_the_operators_once(
    stripe_app, stripe_server, world, operator
):
    o.released(stripe_app, world)
    north = world.orgs["north"]
    bp.run_push(stripe_app, north)
    # Something else counted one more release for this customer in Stripe.
    with stripe_app.app_context():
        from baton.platform.stripe_client import stripe_client

        stripe_client().v1.billing.meter_events.create(
            params={
                "event_name": "baton_po_released",
                "identifier": f"stray:{uuid.uuid4()}",
                "payload": {"stripe_customer_id": bp.customer_of(stripe_app, north), "value": "1"},
            },
            options={"idempotency_key": f"stray:{uuid.uuid4()}"},
        )
    # And one act of the ledger is still waiting to be pushed.
    o.released(stripe_app, world)
    day = utcnow().date()
    result, rows = _reconcile(stripe_app, world, day)
    differing = {(r.period, r.metric): r for r in rows if not r.agrees}
    assert set(differing) == {("day", "po_released"), ("month", "po_released")}
    assert differing[("day", "po_released")].difference == Decimal(1)
    assert differing[("day", "po_released")].unpushed_value == Decimal(1)
    alerts = _alerts(stripe_app, world, day)
    assert len(alerts) == 1
    message = alerts[0].payload["message"]
    assert operator in message["to"]
    assert "Purchase orders released, the day: Stripe 2, ledger 1" in message["lines"][0]
    # A re-run rewrites the figures and sends nothing new.
    _reconcile(stripe_app, world, day)
    assert len(_alerts(stripe_app, world, day)) == 1
    with h.service_session(stripe_app) as session:
        assert reconcile.latest_status(session, north) == (day, 2)


def test_the_cli_names_a_bad_day(stripe_app):
    runner = stripe_app.test_cli_runner()
    result = runner.invoke(args=["billing", "reconcile", "--day", "yesterday"])
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output
