"""SLA at scale: 200 clients, 2,000,000 PO lines and their events over 24 months.

Prints: the load, a full rebuild of every measure and month (the cost of
``flask sla-rollup --rebuild``), then the incremental rollup of one day's new
events for all tenants (what the quarter-hourly job meets, a day at a time).

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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from queue_page import build_directory  # noqa: E402
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
