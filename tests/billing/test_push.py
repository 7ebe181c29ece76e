"""Pushing the ledger to Stripe's meters (the stand-in, over HTTP): one meter
event per usage event, never counted twice, paused by a 429, retried past 500s,
and nothing at all without a Stripe key."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import requests as http
import time_machine

from baton.platform.db import utcnow
from baton.tenants.billing import push
from tests.support import billing_push as bp
from tests.support import orders as o
from tests.support import requirements as h
from tests.support.world import make_world

METER_EVENTS = "/v1/billing/meter_events"


@pytest.fixture
def world(stripe_app):
    yield make_world(stripe_app)
    bp.clear_pause(stripe_app)


def _released(app, world, count: int = 1) -> None:
    for _ in range(count):
        o.released(app, world)


def test_each_usage_event_becomes_one_meter_event_with_the_ledger_key(
    stripe_app, stripe_server, world
):
    _released(stripe_app, world)
    north = world.orgs["north"]
    result = bp.run_push(stripe_app, north)
    ledger = bp.ledger_events(stripe_app, north)
    assert result.pushed == len(ledger) == 3
    assert all(e.pushed_at is not None for e in ledger)
    customer = bp.customer_of(stripe_app, north)
    held = bp.standin_events(stripe_server, customer)
    assert set(held) == {e.key for e in ledger}
    for event in ledger:
        sent = held[event.key]
        assert sent["event_name"] == f"baton_{event.metric}"
        assert Decimal(sent["payload"]["value"]) == event.quantity
        assert sent["timestamp"] == int(event.occurred_at.timestamp())
    keys = {r["idempotency_key"] for r in stripe_server.received(METER_EVENTS)}
    assert {f"meter-event:{e.key}" for e in ledger} <= keys
    # A second run has nothing to push and posts nothing.
    before = len(stripe_server.received(METER_EVENTS))
    assert bp.run_push(stripe_app, north).pushed == 0
    assert len(stripe_server.received(METER_EVENTS)) == before


def test_a_batch_pushed_again_after_a_crash_is_not_counted_twice(stripe_app, stripe_server, world):
    _released(stripe_app, world, 2)
    north = world.orgs["north"]
    bp.run_push(stripe_app, north)
    customer = bp.customer_of(stripe_app, north)
    totals = bp.standin_totals(stripe_server, customer)
    # The worker died after posting but before its transaction committed.
    keys = [e.key for e in bp.ledger_events(stripe_app, north)]
    bp.unpush(stripe_app, keys)
    assert bp.run_push(stripe_app, north).pushed == len(keys)
    replays = [
        r for r in stripe_server.received(METER_EVENTS) if r["idempotency_key"].endswith(keys[0])
    ]
    assert [r["replayed"] for r in replays] == [False, True]
    assert (
        bp.standin_totals(stripe_server, customer) == totals == bp.ledger_totals(stripe_app, north)
    )


def test_a_429_stops_the_batch_and_nothing_is_pushed_before_retry_after(
    stripe_app, stripe_server, world
):
    _released(stripe_app, world, 3)
    north = world.orgs["north"]
    # Customers first, so the fault meets the meter events.
    with stripe_app.app_context(), h.service_session(stripe_app) as session:
        from baton.tenants.billing.accounts import ensure_customer

        ensure_customer(session, north)
    stripe_server.fail(METER_EVENTS, 429, count=1, retry_after=120)
    started = utcnow()
    result = bp.run_push(stripe_app, north, threads=1)
    assert result.paused_until >= started + timedelta(seconds=119)
    ledger = bp.ledger_events(stripe_app, north)
    waiting = [e for e in ledger if e.pushed_at is None]
    assert waiting and result.pushed == 0
    # Within Retry-After the next runs post nothing at all.
    before = len(stripe_server.received(METER_EVENTS))
    with time_machine.travel(started + timedelta(seconds=90)):
        assert bp.run_push(stripe_app, north).skipped == "paused after a 429"
    assert len(stripe_server.received(METER_EVENTS)) == before
    with time_machine.travel(started + timedelta(seconds=125)):
        assert bp.run_push(stripe_app, north).pushed == len(ledger)
    customer = bp.customer_of(stripe_app, north)
    assert set(bp.standin_events(stripe_server, customer)) == {e.key for e in ledger}


def test_stripe_500s_are_retried_with_the_same_idempotency_key(stripe_app, stripe_server, world):
    _released(stripe_app, world)
    north = world.orgs["north"]
    with h.service_session(stripe_app) as session:
        from baton.tenants.billing.accounts import ensure_customer

        ensure_customer(session, north)
    stripe_server.fail(METER_EVENTS, 500, count=2)
    result = bp.run_push(stripe_app, north, threads=1)
    assert result.pushed == 3
    first = bp.ledger_events(stripe_app, north)[0].key
    tries = [
        r["status"]
        for r in stripe_server.received(METER_EVENTS)
        if r["idempotency_key"] == f"meter-event:{first}"
    ]
    assert tries == [500, 500, 200]
    assert bp.standin_totals(stripe_server, bp.customer_of(stripe_app, north)) == (
        bp.ledger_totals(stripe_app, north)
    )


def test_stripe_down_past_the_retries_keeps_the_rest_for_the_job_retry(
    stripe_app, stripe_server, world
):
    _released(stripe_app, world)
    north = world.orgs["north"]
    with h.service_session(stripe_app) as session:
        from baton.tenants.billing.accounts import ensure_customer

        ensure_customer(session, north)
    stripe_server.fail(METER_EVENTS, 500, count=3)
    with pytest.raises(push.StripeUnavailable):
        bp.run_push(stripe_app, north, threads=1)
    assert any(e.pushed_at is None for e in bp.ledger_events(stripe_app, north))
    assert bp.run_push(stripe_app, north).pushed >= 1
    assert all(e.pushed_at for e in bp.ledger_events(stripe_app, north))


def test_without_a_stripe_key_nothing_is_pushed_and_the_page_can_say_what_would_be(
    pg_app, pg_world
):
    _released(pg_app, pg_world)
    north = pg_world.orgs["north"]
    with pg_app.app_context():
        result = push.run([north])
    assert result.skipped == "pushing disabled (no Stripe key)"
    with h.service_session(pg_app) as session:
        pending = push.pending_push(session, north)
    assert [(p.metric, p.events) for p in pending] == [
        ("requirement_accepted", 1),
        ("po_released", 1),
        ("po_line_released", 1),
    ]
    assert pending[2].quantity == Decimal(len(o.load(pg_app, o.draft(pg_app, pg_world)).lines))
    assert all(e.pushed_at is None for e in bp.ledger_events(pg_app, north))


def test_meter_values_read_as_stripe_expects():
    assert push.meter_value(Decimal("10.000000")) == "10"
    assert push.meter_value(Decimal("0.012500")) == "0.0125"
    assert push.meter_value(Decimal("0")) == "0"


def _post(stripe_server, key: str, **form) -> http.Response:
    from tests.support.stripe_standin import API_KEY

    return http.post(
        f"{stripe_server.url}{METER_EVENTS}",
        data=form,
        headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": key},
        timeout=10,
    )


def test_the_standin_refuses_unknown_meters_customers_and_repeated_identifiers(
    stripe_app, stripe_server, world
):
    _released(stripe_app, world)
    north = world.orgs["north"]
    bp.run_push(stripe_app, north)
    customer = bp.customer_of(stripe_app, north)
    key = bp.ledger_events(stripe_app, north)[0].key
    unknown = _post(stripe_server, "k1", event_name="nope", **{"payload[value]": "1"})
    assert unknown.status_code == 400 and "event_name" in unknown.json()["error"]["message"]
    nobody = _post(
        stripe_server,
        "k2",
        event_name="baton_po_released",
        **{"payload[stripe_customer_id]": "cus_nobody", "payload[value]": "1"},
    )
    assert nobody.status_code == 400
    again = _post(
        stripe_server,
        f"other-key-{key}",
        event_name="baton_po_released",
        identifier=key,
        **{"payload[stripe_customer_id]": customer, "payload[value]": "5"},
    )
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "duplicate_meter_event"
    assert bp.standin_totals(stripe_server, customer) == bp.ledger_totals(stripe_app, north)
