"""Metering and pushing usage to Stripe (the test suite's stand-in, over HTTP).

Starts a throwaway PostgreSQL and the Stripe stand-in (its own process).

1. Metering overhead: ``--releases`` purchase orders released one by one, each
   in its own transaction as the buyer's request does (release, commit; the
   jobs it queues are left in the outbox), half with metering on (two usage
   events per release written by ``audit.record``), half with the ledger's
   recorder replaced by a no-op. Prints the median release and the overhead.
2. Push throughput: ``--events`` usage events over a month for
   ``--providers`` providers bulk-loaded into the ledger (not timed), then
   ``push.run`` until none is left: events per second through the real
   stripe-python client on the v2 meter event stream (a session token,
   100-event JSON batches over ``--threads`` threads and keep-alive
   connections), each claimed batch of 1,000 its own transaction. Also the
   SQL statements per batch.
3. Bare: the same 100-event JSON batches POSTed with plain ``requests``
   sessions and the same threads on a session token, no database: what the
   stand-in itself takes. The push's share of that rate is printed.

    .venv/bin/python bench/billing.py                          # 20,000 events, 200 providers
    .venv/bin/python bench/billing.py --events 1000000         # the issue's million

Checks, so a broken run does not print nonsense: every event pushed, and the
stand-in holds exactly one meter event per ledger key.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
os.environ.setdefault("BATON_INLINE_JOBS", "0")
os.environ.setdefault("BATON_LOG_LEVEL", "WARNING")

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from tests.support.services import PostgresServer, create_database  # noqa: E402
from tests.support.stripe_standin import API_KEY, stripe_standin  # noqa: E402

# The bare run's events stay in the stand-in's memory: a sample is enough for its rate.
BARE_MAX = 100_000


def make_app(urls, standin_url: str, instance: Path):
    from baton.platform.app import create_app

    return create_app(
        {
            "instance_path": instance,
            "database_url": urls.app,
            "service_database_url": urls.service,
            "migration_database_url": urls.owner,
            "TESTING": True,
            "BATON_STRIPE_API_KEY": API_KEY,
            "BATON_STRIPE_API_BASE": standin_url,
            "BATON_STRIPE_METER_EVENTS_BASE": standin_url,
        }
    )


def time_releases(app, count: int) -> dict[str, float]:
    """Median seconds per release with and without metering (interleaved)."""
    from baton.platform import metering
    from baton.procurement.orders import release
    from baton.tenants.billing import ledger
    from tests.support import orders as o
    from tests.support import requirements as h
    from tests.support.world import make_world

    world = make_world(app)
    drafts = []
    for _ in range(count * 2):
        po_id = o.draft(app, world)
        o.submit(app, world, po_id)
        drafts.append(po_id)
    timings: dict[str, list[float]] = {"metered": [], "unmetered": []}
    for i, po_id in enumerate(drafts):
        mode = "metered" if i % 2 == 0 else "unmetered"
        metering.install(ledger.record if mode == "metered" else (lambda session, usages: None))
        started = time.perf_counter()
        with h.as_provider(app, world) as (session, _):
            release.release(session, world.orgs["north"], po_id)
        timings[mode].append(time.perf_counter() - started)
    metering.install(ledger.record)
    return {mode: statistics.median(values) for mode, values in timings.items()}


def bulk_load(app, events: int, providers: int) -> list[uuid.UUID]:
    """``events`` usage events over the last 30 days for ``providers`` providers,
    each with its Stripe customer already made (as after its first push)."""
    from baton.platform.db import db
    from baton.platform.request_context import SYSTEM, acting_as
    from baton.platform.tenancy import SERVICE_CONTEXT
    from baton.tenants import services
    from baton.tenants.billing.accounts import ensure_customer
    from baton.tenants.billing.models import UsageEvent

    suffix = uuid.uuid4().hex[:6]
    with app.app_context(), acting_as(SYSTEM):
        session = db.new_service_session(SERVICE_CONTEXT)
        client = services.create_organisation(
            session, name=f"Bench client {suffix}", kind="client", code="BNCH"
        )
        ids = [
            services.create_organisation(
                session, name=f"Bench provider {suffix} {i}", kind="provider", code=f"P{i}"
            ).id
            for i in range(providers)
        ]
        session.commit()
        for provider_id in ids:
            ensure_customer(session, provider_id)
            session.commit()
        start = datetime.now(UTC) - timedelta(days=30)
        metrics = ["po_released", "po_line_released", "supplier_chase_sent"]
        rows = []
        for n in range(events):
            at = start + timedelta(seconds=n * (30 * 86400 - 3600) / events)
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "created_at": at,
                    "tenant_id": client.id,
                    "provider_id": ids[n % providers],
                    "metric": metrics[n % 3],
                    "quantity": Decimal(1 + n % 5),
                    "occurred_at": at,
                    "key": f"bench:{suffix}:{n}",
                    "action": "bench",
                    "entity_type": "bench",
                    "entity_id": str(n),
                    "push_attempts": 0,
                }
            )
            if len(rows) == 10_000:
                session.execute(sa.insert(UsageEvent), rows)
                session.commit()
                rows = []
        if rows:
            session.execute(sa.insert(UsageEvent), rows)
        session.commit()
        session.close()
    return ids


def time_push(app, providers: list[uuid.UUID], threads: int) -> tuple[int, float, float]:
    """(events pushed, seconds, SQL statements per batch)."""
    from baton.platform.db import db
    from baton.tenants.billing import push

    pushed = batches = statements = 0

    def count(*_args) -> None:
        nonlocal statements
        statements += 1

    with app.app_context():
        engine = db.service_engine
    sa.event.listen(engine, "before_cursor_execute", count)
    started = time.perf_counter()
    try:
        with app.app_context():
            while True:
                result = push.run(providers, seconds=3600, threads=threads)
                pushed += result.pushed
                batches += result.batches
                if result.batches == 0 or result.pushed == 0:
                    break
    finally:
        seconds = time.perf_counter() - started
        sa.event.remove(engine, "before_cursor_execute", count)
    return pushed, seconds, statements / max(batches, 1)


def time_bare(url: str, customer: str, count: int, threads: int) -> float:
    """Seconds to POST ``count`` events as 100-event JSON batches on a session token."""
    import threading

    version = {"Stripe-Version": "2026-10-28.endive"}
    token = requests.post(
        f"{url}/v2/billing/meter_event_session",
        json={},
        headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": "bare", **version},
        timeout=30,
    ).json()["authentication_token"]
    at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    batches = [
        [
            {
                "event_name": "baton_po_released",
                "identifier": f"bare:{n}",
                "timestamp": at,
                "payload": {"stripe_customer_id": customer, "value": "1"},
            }
            for n in range(start, min(start + 100, count))
        ]
        for start in range(0, count, 100)
    ]
    local = threading.local()

    def post(events: list[dict]) -> None:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        session.post(
            f"{url}/v2/billing/meter_event_stream",
            json={"events": events},
            headers={
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": f"bare:{events[0]['identifier']}",
                **version,
            },
            timeout=30,
        ).raise_for_status()

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(post, batches))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--providers", type=int, default=200)
    parser.add_argument("--releases", type=int, default=30)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    from baton.platform.migrate import upgrade

    server = PostgresServer()
    server.start()
    try:
        urls = create_database(server.url)
        upgrade(urls.owner)
        with stripe_standin() as standin:
            app = make_app(urls, standin.url, Path(tempfile.mkdtemp()))
            release = time_releases(app, args.releases)
            overhead = (release["metered"] / release["unmetered"] - 1) * 100
            providers = bulk_load(app, args.events, args.providers)
            pushed, seconds, per_batch = time_push(app, providers, args.threads)
            held = standin.objects("meter_events")
            assert pushed == args.events, (pushed, args.events)
            assert sum(k.startswith("bench:") for k in held) == args.events
            del held
            customer = next(iter(standin.objects("customers")))
            bare_count = min(args.events, BARE_MAX)
            bare = time_bare(standin.url, customer, bare_count, args.threads)
    finally:
        server.stop()

    print(f"machine: {os.cpu_count()} CPUs, PostgreSQL, stand-in over HTTP")
    print(f"{'operation':<44}{'count':>10}{'result':>20}")
    print(
        f"{'PO release, metered (median)':<44}{args.releases:>10}"
        f"{release['metered'] * 1000:>17.1f} ms"
    )
    print(
        f"{'PO release, metering off (median)':<44}{args.releases:>10}"
        f"{release['unmetered'] * 1000:>17.1f} ms"
    )
    print(f"{'metering overhead on a release':<44}{'':>10}{overhead:>18.1f} %")
    print(
        f"{'push to Stripe (' + str(args.providers) + ' providers)':<44}{pushed:>10}"
        f"{pushed / seconds:>15,.0f} ev/s"
    )
    print(f"{'  SQL statements per 1,000-event batch':<44}{'':>10}{per_batch:>20.1f}")
    print(
        f"{'bare requests, same JSON batches, threads':<44}{bare_count:>10}"
        f"{bare_count / bare:>15,.0f} ev/s"
    )
    print(f"{'push / bare':<44}{'':>10}{(pushed / seconds) / (bare_count / bare):>18.0%}")


if __name__ == "__main__":
    main()
