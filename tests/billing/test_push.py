"""Pushing the ledger to Stripe's v2 meter event stream (the stand-in, over HTTP):
each usage event counted once under its ledger key, never twice after a
crash, paused by a 429, retried past 500s, carried on past an expired session
token, a refused request counted against its events, a batch marked with one
UPDATE, and nothing at all without a Stripe key."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from baton.platform.db import db, utcnow
from baton.tenants.billing import meter_stream, push
from baton.tenants.billing.accounts import ensure_customer
from baton.tenants.billing.meter_stream import batch_key
from tests.jobs.conftest import wait_for
from tests.support import billing_push as bp
from tests.support import orders as o
from tests.support import requirements as h
from tests.support.world import make_world

STREAM = bp.STREAM


@pytest.fixture
def world(stripe_app):
    # Each test's push starts on a session of its own, whatever others did to theirs.
    meter_stream.forget()
    yield make_world(stripe_app)
    bp.clear_pause(stripe_app)


@contextmanager
def counted_service(app) -> Iterator[list[str]]:
    """The statements the service role's connections run (the push's)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.service_engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _with_customer(app, world) -> str:
    """North's Stripe customer made first, so a fault meets the stream, not the customer."""
    with h.service_session(app) as session:
        return ensure_customer(session, world.orgs["north"])


def test_each_usage_event_reaches_stripe_once_with_the_ledger_key(stripe_app, stripe_server, world):
    o.released(stripe_app, world)
    north = world.orgs["north"]
    posted_before = len(bp.stream_posts(stripe_server))
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
    # One JSON batch, its idempotency key derived from what it carries.
    (post,) = bp.stream_posts(stripe_server)[posted_before:]
    assert post["status"] == 202
    assert post["idempotency_key"] == batch_key(post["params"]["events"])
    assert sorted(bp.identifiers(post)) == sorted(held)
    counted_keys = [k for k in bp.counted_identifiers(stripe_server) if k in held]
    assert sorted(counted_keys) == sorted(held)
    # A second run has nothing to push and posts nothing.
    assert bp.run_push(stripe_app, north).pushed == 0
    assert len(bp.stream_posts(stripe_server)) == posted_before + 1


def test_a_batch_pushed_again_after_a_crash_is_not_counted_twice(stripe_app, stripe_server, world):
    o.released(stripe_app, world)
    o.released(stripe_app, world)
    north = world.orgs["north"]
    bp.run_push(stripe_app, north)
    customer = bp.customer_of(stripe_app, north)
    totals = bp.standin_totals(stripe_server, customer)
    keys = [e.key for e in bp.ledger_events(stripe_app, north)]
    (first_key,) = {
        r["idempotency_key"] for r in bp.stream_posts(stripe_server) if keys[0] in bp.identifiers(r)
    }
    # The worker died after posting but before its transaction committed:
    # the same rows make the same batch, and Stripe replays its answer.
    bp.unpush(stripe_app, keys)
    assert bp.run_push(stripe_app, north).pushed == len(keys)
    replays = [
        r["replayed"] for r in bp.stream_posts(stripe_server) if r["idempotency_key"] == first_key
    ]
    assert replays == [False, True]
    # Only some rows lost: another batch, another key; Stripe drops the identifiers it has.
    bp.unpush(stripe_app, keys[::2])
    assert bp.run_push(stripe_app, north).pushed == len(keys[::2])
    assert not bp.stream_posts(stripe_server)[-1]["replayed"]
    assert (
        bp.standin_totals(stripe_server, customer) == totals == bp.ledger_totals(stripe_app, north)
    )


def test_a_429_stops_the_batch_and_nothing_is_posted_before_retry_after(
    stripe_app, stripe_server, world
):
    o.released(stripe_app, world)
    bp.record_usage(stripe_app, world, 250)
    north = world.orgs["north"]
    _with_customer(stripe_app, world)
    stripe_server.fail(STREAM, 429, count=1, retry_after=120)
    started = utcnow()
    result = bp.run_push(stripe_app, north, threads=1)
    assert result.paused_until >= started + timedelta(seconds=119)
    ledger = bp.ledger_events(stripe_app, north)
    waiting = [e for e in ledger if e.pushed_at is None]
    assert len(waiting) == len(ledger) and result.pushed == 0
    # Within Retry-After the next runs post nothing at all.
    before = len(bp.stream_posts(stripe_server))
    with time_machine.travel(started + timedelta(seconds=90)):
        assert bp.run_push(stripe_app, north).skipped == "paused after a 429"
    assert len(bp.stream_posts(stripe_server)) == before
    with time_machine.travel(started + timedelta(seconds=125)):
        assert bp.run_push(stripe_app, north).pushed == len(ledger)
    customer = bp.customer_of(stripe_app, north)
    assert set(bp.standin_events(stripe_server, customer)) == {e.key for e in ledger}


def test_stripe_500s_are_retried_with_the_same_idempotency_key(stripe_app, stripe_server, world):
    o.released(stripe_app, world)
    north = world.orgs["north"]
    _with_customer(stripe_app, world)
    stripe_server.fail(STREAM, 500, count=2)
    posted_before = len(bp.stream_posts(stripe_server))
    result = bp.run_push(stripe_app, north, threads=1)
    assert result.pushed == 3
    tries = bp.stream_posts(stripe_server)[posted_before:]
    assert [r["status"] for r in tries] == [500, 500, 202]
    assert len({r["idempotency_key"] for r in tries}) == 1
    assert bp.standin_totals(stripe_server, bp.customer_of(stripe_app, north)) == (
        bp.ledger_totals(stripe_app, north)
    )


def test_stripe_down_past_the_retries_keeps_the_rest_for_the_job_retry(
    stripe_app, stripe_server, world
):
    o.released(stripe_app, world)
    north = world.orgs["north"]
    _with_customer(stripe_app, world)
    stripe_server.fail(STREAM, 500, count=3)
    with pytest.raises(push.StripeUnavailable):
        bp.run_push(stripe_app, north, threads=1)
    assert all(e.pushed_at is None for e in bp.ledger_events(stripe_app, north))
    assert bp.run_push(stripe_app, north).pushed == 3
    assert all(e.pushed_at for e in bp.ledger_events(stripe_app, north))


def test_an_expired_session_token_is_renewed_and_the_push_carries_on(
    stripe_app, stripe_server, world
):
    o.released(stripe_app, world)
    north = world.orgs["north"]
    bp.run_push(stripe_app, north)
    # Stripe ends the session early (its clock ahead of ours, say).
    stripe_server.expire_meter_sessions()
    o.released(stripe_app, world)
    sessions = bp.sessions_made(stripe_server)
    posted_before = len(bp.stream_posts(stripe_server))
    assert bp.run_push(stripe_app, north).pushed == 3
    assert [r["status"] for r in bp.stream_posts(stripe_server)[posted_before:]] == [401, 202]
    assert bp.sessions_made(stripe_server) == sessions + 1
    assert all(e.pushed_at for e in bp.ledger_events(stripe_app, north))
    assert bp.standin_totals(stripe_server, bp.customer_of(stripe_app, north)) == (
        bp.ledger_totals(stripe_app, north)
    )


def test_a_session_near_its_end_is_replaced_before_it_is_refused(stripe_app, stripe_server, world):
    o.released(stripe_app, world)
    north = world.orgs["north"]
    bp.run_push(stripe_app, north)
    o.released(stripe_app, world)
    sessions = bp.sessions_made(stripe_server)
    posted_before = len(bp.stream_posts(stripe_server))
    # Fourteen and a half minutes on, the token has less than a minute left.
    with time_machine.travel(utcnow() + timedelta(minutes=14, seconds=30)):
        assert bp.run_push(stripe_app, north).pushed == 3
    assert [r["status"] for r in bp.stream_posts(stripe_server)[posted_before:]] == [202]
    assert bp.sessions_made(stripe_server) == sessions + 1


def test_a_refused_request_counts_against_its_events_which_are_left_after_three(
    stripe_app, stripe_server, world
):
    o.released(stripe_app, world)
    north = world.orgs["north"]
    _with_customer(stripe_app, world)
    stripe_server.fail(STREAM, 400, count=push.MAX_REFUSALS)
    for attempt in range(1, push.MAX_REFUSALS + 1):
        result = bp.run_push(stripe_app, north)
        assert (result.pushed, result.refused) == (0, 3)
        assert {e.push_attempts for e in bp.ledger_events(stripe_app, north)} == {attempt}
    # Left for people: no run posts them again; the reconciliation shows them unpushed.
    posted_before = len(bp.stream_posts(stripe_server))
    assert bp.run_push(stripe_app, north).batches == 0
    assert len(bp.stream_posts(stripe_server)) == posted_before
    assert all(e.pushed_at is None for e in bp.ledger_events(stripe_app, north))


def test_the_chunks_of_a_batch_are_posted_at_once(stripe_app, stripe_server, world):
    bp.record_usage(stripe_app, world, 250)
    north = world.orgs["north"]
    _with_customer(stripe_app, world)
    stripe_server.stall(STREAM, after=0)
    done: list[push.PushResult] = []
    pushing = threading.Thread(target=lambda: done.append(bp.run_push(stripe_app, north)))
    pushing.start()
    try:
        # Three chunks of at most 100, all in flight together on three threads.
        wait_for(lambda: stripe_server.held() == 3, what="three chunks held at once")
    finally:
        stripe_server.release()
        pushing.join(timeout=60)
    assert done[0].pushed == 250 and done[0].batches == 1
    sizes = sorted(len(bp.identifiers(r)) for r in bp.stream_posts(stripe_server)[-3:])
    assert sizes == [50, 100, 100]


def test_a_batch_is_marked_pushed_with_one_update_however_many_events(
    stripe_app, stripe_server, world
):
    north = world.orgs["north"]
    _with_customer(stripe_app, world)

    def statements_of_a_push(events: int) -> list[str]:
        bp.record_usage(stripe_app, world, events)
        with counted_service(stripe_app) as statements:
            assert bp.run_push(stripe_app, north).pushed == events
        return statements

    few, many = statements_of_a_push(3), statements_of_a_push(450)
    updates = [s for s in many if s.lstrip().upper().startswith("UPDATE USAGE_EVENTS")]
    assert len(updates) == 1
    assert len(many) == len(few)


def test_without_a_stripe_key_nothing_is_pushed_and_the_page_can_say_what_would_be(
    pg_app, pg_world
):
    o.released(pg_app, pg_world)
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
