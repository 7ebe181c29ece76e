"""SLA at scale: 200 clients, 2,000,000 PO lines and their events over 24 months.

Prints: the load, a full rebuild of every measure and month (the cost of
``flask sla-rollup --rebuild``), the client dashboard's server time over 200
loads against one SQL query on the rollup table, then the incremental rollup
of one day's new events for all tenants (what the quarter-hourly job meets,
a day at a time).

    .venv/bin/python bench/sla.py                    # the issue's scale
    .venv/bin/python bench/sla.py --lines 100000     # a quick look

Uses TEST_DATABASE_URL if set, else a throwaway PostgreSQL cluster.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from queue_page import PASSWORD, build_directory  # noqa: E402
from sla_data import load_day, load_history  # noqa: E402

from tests.support.services import PostgresServer, create_database, drop_database  # noqa: E402


def timed_rollup(app, rebuild: bool):
    from baton.platform.db import db
    from baton.platform.request_context import Actor, acting_as
    from baton.platform.tenancy import SERVICE_CONTEXT
    from baton.procurement.sla import rollup

    started = time.perf_counter()
    with app.app_context(), acting_as(Actor("system", None, "bench")):
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            result = (rollup.rebuild if rebuild else rollup.run)(session)
            session.commit()
        finally:
            session.close()
    return result, time.perf_counter() - started


def client_login(app, client_id) -> str:
    """A client admin for the dashboard loads."""
    from baton.platform.db import db
    from baton.platform.request_context import Actor, acting_as
    from baton.platform.tenancy import SERVICE_CONTEXT
    from baton.tenants import services
    from baton.tenants.models import Organisation

    email = f"admin.{client_id.hex[:8]}@bench.example"
    with app.app_context(), acting_as(Actor("system", None, "bench")):
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            user = services.create_user(session, email=email, name="Admin", password=PASSWORD)
            services.add_member(session, session.get(Organisation, client_id), user, "admin")
            session.commit()
        finally:
            session.close()
    return email


def time_dashboard(app, admin_url: str, client_id, engagement_id, period, loads: int) -> dict:
    """p50/p95 server time of the client's dashboard, and of one SQL query that reads
    the same month's figures straight from sla_monthly (the floor of any page)."""
    import sqlalchemy as sa

    email = client_login(app, client_id)
    web = app.test_client()
    answer = web.post("/login", data={"email": email, "password": PASSWORD})
    assert answer.status_code == 302, answer.status_code
    path = f"/client/sla?engagement={engagement_id}&period={period:%Y-%m}"
    for _ in range(10):  # warm the pool, caches and the template
        assert web.get(path).status_code == 200
    page = []
    for _ in range(loads):
        started = time.perf_counter()
        answer = web.get(path)
        page.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200
    assert b"Requirements released" in answer.data or b"SLA" in answer.data
    engine = sa.create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://"))
    query = sa.text(
        "SELECT * FROM sla_monthly WHERE tenant_id = :t AND engagement_id = :e AND period = :p"
    )
    bare = []
    with engine.connect() as conn:
        for _ in range(10):
            conn.execute(query, {"t": client_id, "e": engagement_id, "p": period}).all()
        for _ in range(loads):
            started = time.perf_counter()
            rows = conn.execute(query, {"t": client_id, "e": engagement_id, "p": period}).all()
            bare.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return {"page": page, "bare": bare, "rows": len(rows)}


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def table_sizes(admin_url: str) -> dict[str, int]:
    with psycopg.connect(admin_url) as conn:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
            for t in ("sla_measures", "sla_monthly", "audit_events", "po_lines")
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--lines-per-order", type=int, default=5)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--loads", type=int, default=200)
    args = parser.parse_args()

    server = None
    admin_url = os.environ.get("TEST_DATABASE_URL")
    if not admin_url:
        server = PostgresServer()
        server.start()
        admin_url = server.url
    urls = create_database(admin_url)
    tmp = Path(tempfile.mkdtemp(prefix="baton-bench-sla-"))
    try:
        from baton.platform.app import create_app
        from baton.platform.migrate import upgrade

        upgrade(urls.owner)
        app = create_app(
            {
                "instance_path": tmp,
                "database_url": urls.app,
                "service_database_url": urls.service,
                "migration_database_url": urls.owner,
                "WTF_CSRF_ENABLED": False,
            }
        )
        logging.getLogger().setLevel(logging.WARNING)
        directory = build_directory(app, args.clients)
        loaded = load_history(urls.admin, directory, args.lines, args.lines_per_order, args.months)
        print(
            f"loaded {loaded['orders']:,} orders, {loaded['lines']:,} PO lines and"
            f" {loaded['events']:,} status events for {args.clients} clients over"
            f" {args.months} months in {loaded['seconds']:.0f} s (COPY)"
        )
        result, seconds = timed_rollup(app, rebuild=True)
        sizes = table_sizes(urls.admin)
        print(
            f"full rebuild: {result.tenants} tenants, {result.subjects:,} subjects,"
            f" {result.measures:,} measures, {result.months:,} engagement-months in"
            f" {seconds:.1f} s ({result.measures / seconds:,.0f} measures/s);"
            f" sla_monthly holds {sizes['sla_monthly']:,} rows"
        )
        period = (datetime.now(UTC) - timedelta(days=40)).date().replace(day=1)
        timing = time_dashboard(
            app, urls.admin, directory["clients"][7], directory["engagements"][7], period,
            args.loads,
        )  # fmt: skip
        p95, b95 = pct(timing["page"], 0.95), pct(timing["bare"], 0.95)
        print(
            f"client dashboard ({period:%Y-%m}, {timing['rows']} monthly rows) over"
            f" {args.loads} loads: p50 {pct(timing['page'], 0.5):.1f} ms, p95 {p95:.1f} ms"
            f" (target: under 200 ms); one SQL query on sla_monthly: p95 {b95:.2f} ms;"
            f" ratio {p95 / b95:.0f}x"
        )
        day = load_day(urls.admin, directory, loaded, args.lines_per_order, args.months)
        result, seconds = timed_rollup(app, rebuild=False)
        print(
            f"one day's new events ({day['orders']:,} orders, {day['events']:,} events) for all"
            f" tenants: {result.subjects:,} subjects, {result.measures:,} measures,"
            f" {result.months:,} engagement-months in {seconds:.1f} s (target: under 60 s)"
        )
        result, seconds = timed_rollup(app, rebuild=False)
        print(f"a quarter-hour with nothing new: {seconds:.2f} s over {result.tenants} tenants")
    finally:
        try:
            drop_database(admin_url, urls.name)
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
