"""A month of generated activity for three providers and six clients, pushed to
the Stripe stand-in's v2 meter event stream by real ``baton worker`` processes
through Stripe failures (500s, a 429 with Retry-After), a worker killed
mid-push and a replayed batch: afterwards the ledger and what Stripe holds
(events and per-customer summaries) agree exactly, the reconciliation finds no
difference, and each month's statement charges exactly the ledger's usage."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
import time_machine
from redis import Redis

from baton.platform.db import utcnow
from baton.platform.outbox import DONE, OutboxMessage, emit
from baton.procurement.handoff import review
from baton.procurement.orders import chasers
from baton.tenants.billing import ledger, plans, reconcile, statements
from baton.tenants.billing.push import PUSH_JOB
from baton.tenants.billing.push_models import PushPause
from tests.jobs.conftest import make_app, wait_for, worker_env
from tests.support import billing_push as bp
from tests.support import changes as c
from tests.support import orders as o
from tests.support import requirements as h
from tests.support.stripe_standin import API_KEY, WEBHOOK_SECRET
from tests.support.world import World, make_world

STREAM = bp.STREAM
DAYS = 26
# Every metric at a flat unit price, nothing included: a statement's usage line
# is the ledger's quantity times the price, so it can be checked by hand.
PRICES = {
    "requirement_accepted": Decimal("1.00"),
    "po_released": Decimal("0.40"),
    "po_line_released": Decimal("0.10"),
    "change_order_released": Decimal("2.00"),
    "supplier_chase_sent": Decimal("0.05"),
    "document_storage_gb_month": Decimal("0.25"),
}
BASE_FEE = Decimal("250.00")
# Chasers recorded straight into each provider's ledger: with them the push
# has several 100-event chunks in flight, so a kill and a fault land mid-batch.
BULK = 150


def _stripe(server) -> dict:
    return {
        "BATON_STRIPE_API_KEY": API_KEY,
        "BATON_STRIPE_API_BASE": server.url,
        "BATON_STRIPE_METER_EVENTS_BASE": server.meter_events_url,
        "BATON_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }


def _on_a_plan(app, world: World, since) -> None:
    code = f"month-{world.suffix}"
    with h.service_session(app) as session:
        plans.create_plan(
            session,
            {
                "code": code,
                "name": f"Month {world.suffix}",
                "currency": "EUR",
                "base_fee": str(BASE_FEE),
                "prices": {metric: f"0:0-@{price}" for metric, price in PRICES.items()},
            },
        )
        plans.assign_plan(session, world.orgs["north"], code, at=since)


def _months(start, end) -> list:
    month, last = statements.month_start(start.date()), statements.month_start(end.date())
    found = [month]
    while month < last:
        month = statements.shift(month, 1)
        found.append(month)
    return found


def _activity(app, world: World, start) -> None:
    """One provider's month with its two clients, through the services, at past times."""
    day = iter(range(0, DAYS, 3))

    def at(hours: int = 10):
        return start + timedelta(days=next(day), hours=hours)

    with time_machine.travel(at(), tick=False):
        first = o.released(app, world)
    with time_machine.travel(at(), tick=False):
        second = o.released(app, world)
    with time_machine.travel(at(14), tick=False):
        change = c.start(app, world, first, edits={"notes": "Deliver to gate 2"})
        c.submit(app, world, first, change)
        c.release(app, world, first, change)
    for po_id in (first, second, second):
        with time_machine.travel(at(9), tick=False), h.as_provider(app, world) as (session, _):
            chasers.chase(session, world.orgs["north"], po_id)
    with time_machine.travel(at(11), tick=False):
        rid = h.submitted_for_globex(app, world)
        with h.as_provider(app, world) as (session, uid):
            review.accept(session, world.orgs["north"], uid, rid)
    # Storage is metered in GB-months with decimals (the monthly storage meter's shape).
    with h.service_session(app) as session:
        ledger.record_quantity(
            session,
            metric="document_storage_gb_month",
            key=f"document_storage:{world.orgs['acme']}:{world.orgs['north']}:test",
            quantity=Decimal("0.012345"),
            tenant_id=world.orgs["acme"],
            provider_id=world.orgs["north"],
            occurred_at=at(23),
            entity_type="organisation",
            entity_id=str(world.orgs["acme"]),
        )


def _push_job(app) -> uuid.UUID:
    with h.service_session(app) as session:
        return emit(session, PUSH_JOB, {"run": uuid.uuid4().hex}).id


def _done(app, outbox_id) -> bool:
    with h.service_session(app) as session:
        return session.get(OutboxMessage, outbox_id).status == DONE


def _unpushed(app, providers) -> int:
    return sum(e.pushed_at is None for e in bp.ledger_events(app, *providers))


def _pause(app):
    with h.service_session(app) as session:
        pause = session.get(PushPause, "meter_events")
        return pause.paused_until if pause else None


def test_a_month_pushed_through_failures_matches_the_ledger_exactly(
    jobs_urls, redis_url, stripe_server, tmp_path, processes
):
    app = make_app(jobs_urls, tmp_path / "web", **_stripe(stripe_server))
    start = (utcnow() - timedelta(days=DAYS + 1)).replace(hour=0, minute=0, second=0)
    worlds = [make_world(app) for _ in range(3)]
    for world in worlds:
        _on_a_plan(app, world, start - timedelta(days=40))
        _activity(app, world, start)
        bp.record_usage(app, world, BULK)
    providers = [w.orgs["north"] for w in worlds]
    events = bp.ledger_events(app, *providers)
    assert {e.metric for e in events} == set(ledger.METRICS)
    assert _unpushed(app, providers) == len(events)

    own_redis = redis_url.rsplit("/", 1)[0] + "/9"
    Redis.from_url(own_redis).flushdb()
    env = worker_env(
        jobs_urls,
        own_redis,
        1,
        tmp_path / "worker",
        BATON_STRIPE_API_KEY=API_KEY,
        BATON_STRIPE_API_BASE=stripe_server.url,
        BATON_STRIPE_METER_EVENTS_BASE=stripe_server.meter_events_url,
    )
    processes.start(env, "relay")
    before = len(stripe_server.objects("meter_events"))

    # 1. A worker killed mid-push: two chunks through, the rest held when it dies.
    # Stripe then holds some events, the ledger none as pushed.
    stripe_server.stall(STREAM, after=2)
    first = processes.start(env, "worker")
    _push_job(app)
    wait_for(lambda: stripe_server.held() > 0, what="the push to be mid-batch")
    processes.kill(first)
    stripe_server.release()
    assert len(stripe_server.objects("meter_events")) > before
    assert _unpushed(app, providers) == len(events)

    # 2. Stripe fails: two 500s (the library retries them), then a 429 with Retry-After.
    stripe_server.fail(STREAM, 500, count=2)
    stripe_server.fail(STREAM, 429, count=1, retry_after=2)
    processes.start(env, "worker")
    job = _push_job(app)
    wait_for(lambda: _done(app, job), what="the push that meets the faults")
    paused = wait_for(lambda: _pause(app), what="the pause after the 429")
    # The 429 stopped the batch: the rest waits for the next run.
    assert _unpushed(app, providers) > 0
    wait_for(lambda: utcnow() > paused, what="Retry-After to pass")
    job = _push_job(app)
    wait_for(lambda: _done(app, job) and _unpushed(app, providers) == 0, what="all pushed")

    # 3. A batch replayed (as if its commit had been lost): nothing is counted again.
    held_before, posted_before = (
        len(stripe_server.objects("meter_events")),
        len(bp.stream_posts(stripe_server)),
    )
    bp.unpush(app, [e.key for e in events[::2]])
    job = _push_job(app)
    wait_for(lambda: _done(app, job) and _unpushed(app, providers) == 0, what="the replay")
    # Posted again (regrouped, so under new idempotency keys), counted by Stripe never.
    assert len(bp.stream_posts(stripe_server)) > posted_before
    assert len(stripe_server.objects("meter_events")) == held_before

    statuses = [r["status"] for r in bp.stream_posts(stripe_server)]
    assert {429, 500} <= set(statuses)
    for world in worlds:
        north = world.orgs["north"]
        customer = bp.customer_of(app, north)
        mine = [e for e in events if e.provider_id == north]
        # Each usage event is exactly one meter event in Stripe, with the same value.
        held = bp.standin_events(stripe_server, customer)
        assert set(held) == {e.key for e in mine}
        assert bp.standin_totals(stripe_server, customer) == bp.ledger_totals(app, north)
        # Stripe's own summaries over the month say the same, metric by metric.
        with app.app_context():
            from baton.platform.stripe_client import stripe_client
            from baton.tenants.billing.stripe_meters import meter_ids

            client = stripe_client()
            meters = meter_ids(client)
            end = (utcnow() + timedelta(days=1)).replace(hour=0, minute=0, second=0)
            for metric, total in bp.ledger_totals(app, north).items():
                summary = reconcile.stripe_total(client, meters[metric], customer, start, end)
                assert summary == total, metric
    with h.service_session(app) as session:
        result = reconcile.run(session, utcnow().date(), providers)
    assert (result.providers, result.differences) == (3, 0)
    with h.service_session(app) as session:
        accepted = session.scalar(
            sa.select(sa.func.count()).where(
                ledger.UsageEvent.provider_id.in_(providers),
                ledger.UsageEvent.metric == "requirement_accepted",
            )
        )
    assert accepted == 3 * 3
    # Each month's statement charges what the ledger holds, metric by metric.
    months = _months(start, utcnow())
    for world in worlds:
        north = world.orgs["north"]
        mine = [e for e in events if e.provider_id == north]
        for month in months:
            low, high = statements.bounds(month)
            within = [e for e in mine if low <= e.occurred_at < high]
            with h.service_session(app) as session:
                statement = statements.provider_statement(session, north, month)
            got = {m.metric: (m.quantity, m.events) for m in statement.metrics if m.events}
            expected: dict[str, tuple[Decimal, int]] = {}
            for e in within:
                quantity, count = expected.get(e.metric, (Decimal(0), 0))
                expected[e.metric] = (quantity + e.quantity, count + 1)
            assert got == expected, (world.suffix, month)
            usage = sum(
                (
                    (q * PRICES[m]).quantize(Decimal("0.01"), ROUND_HALF_UP)
                    for m, (q, _) in expected.items()
                ),
                Decimal(0),
            )
            assert statement.usage_amount == usage
            assert statement.total == BASE_FEE + usage
            assert sum(c.usage_amount for c in statement.clients) == usage
