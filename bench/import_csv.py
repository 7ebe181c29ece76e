"""Importing a 10,000-line requirements CSV: wall time and peak memory.

Generates a CSV of ``--lines`` lines (``--per`` lines per requirement, so
2,000 requirements by default), uploads it as a sourcing user through the real
page, and waits for the background import to finish. Without Redis the job
runs in the web process right after the upload commits (the embedded mode),
so the upload's own time is the whole import: reading, checking every row,
writing requirements, lines and one audit event each.

    .venv/bin/python bench/import_csv.py                    # throwaway PostgreSQL
    .venv/bin/python bench/import_csv.py --sqlite           # the embedded SQLite
    .venv/bin/python bench/import_csv.py --submit           # and hand them all off

Prints wall time, the process's peak RSS growth and Python's peak allocation
during the import. Target (issue 4): under 30 s and under 300 MB.
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.services import PostgresServer, create_database, drop_database  # noqa: E402


def make_csv(lines: int, per: int, supplier_code: str) -> bytes:
    from baton.sourcing.requirements.imports import COLUMNS

    today = date.today()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
    writer.writeheader()
    for n in range(lines):
        reference = f"IMP-{n // per:06d}"
        row = {
            "client_reference": reference,
            "item_code": f"IT-{n:06d}",
            "description": f"Machined part {n}, anodised",
            "quantity": str(10 + n % 90),
            "unit": "each",
            "unit_price": f"{1 + (n % 500) / 100:.2f}",
            "need_by": (today + timedelta(days=30 + n % 60)).isoformat(),
            "spec_required": "no",
        }
        if n % per == 0:
            row |= {
                "title": f"Parts batch {n // per}",
                "provider": "NWPS",
                "supplier_code": supplier_code,
                "currency": "EUR",
                "payment_terms": "30 days net",
                "incoterms": "DAP",
                "quote_reference": f"Q-{n // per}",
                "quote_valid_until": (today + timedelta(days=90)).isoformat(),
                "ship_to": "Plant 2, Dock 4",
                "priority": "normal",
            }
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--per", type=int, default=5, help="lines per requirement")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--submit", action="store_true", help="hand every requirement off")
    parser.add_argument(
        "--trace", action="store_true", help="also trace Python allocations (slows it down)"
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="baton-bench-import-"))
    server = urls = admin_url = None
    try:
        from baton.platform.app import create_app
        from baton.platform.migrate import upgrade

        if args.sqlite:
            url = f"sqlite:///{tmp / 'baton.sqlite3'}"
            upgrade(url)
            config = {"database_url": url, "service_database_url": url}
            backend = "SQLite"
        else:
            admin_url = os.environ.get("TEST_DATABASE_URL")
            if not admin_url:
                server = PostgresServer()
                server.start()
                admin_url = server.url
            urls = create_database(admin_url)
            upgrade(urls.owner)
            config = {
                "database_url": urls.app,
                "service_database_url": urls.service,
                "migration_database_url": urls.owner,
            }
            backend = "PostgreSQL"
        app = create_app({"instance_path": tmp / "instance", "WTF_CSRF_ENABLED": False, **config})
        logging.getLogger().setLevel(logging.WARNING)

        from tests.support import requirements as h
        from tests.support.world import PASSWORD, make_world

        world = make_world(app)
        h.make_supplier(app, world, code="BENCH")
        content = make_csv(args.lines, args.per, "BENCH")
        client = app.test_client()
        client.post("/login", data={"email": world.email("acme_sourcing"), "password": PASSWORD})

        baseline = rss_mb()
        if args.trace:
            tracemalloc.start()
        started = time.perf_counter()
        data = {"file": (io.BytesIO(content), "bench.csv")}
        if args.submit:
            data["submit"] = "on"
        response = client.post(
            "/client/requirements/import/", data=data, content_type="multipart/form-data"
        )
        wall = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if args.trace else None
        tracemalloc.stop()
        assert response.status_code == 302, response.status_code
        progress = client.get(response.headers["Location"].rstrip("/") + "/progress").json
        assert progress["status"] == "succeeded", progress
        expected = -(-args.lines // args.per)
        assert progress["created"] == expected, progress
        assert h.count_requirements(app, world.orgs["acme"]) == expected

        print(
            f"{os.cpu_count()} CPUs, {backend}: {args.lines:,} lines in {expected:,} requirements"
            f" ({len(content) / 1024 / 1024:.1f} MB CSV){', handed off' if args.submit else ''}"
        )
        print(f"  wall time            {wall:8.1f} s   ({args.lines / wall:,.0f} lines/s)")
        print(
            f"  peak RSS growth      {rss_mb() - baseline:8.1f} MB  (process peak {rss_mb():.0f} MB)"
        )
        if peak is not None:
            print(f"  peak Python alloc    {peak / 1024 / 1024:8.1f} MB  (tracemalloc)")
        app.extensions["baton.db"].dispose()
    finally:
        if urls is not None:
            drop_database(admin_url, urls.name)
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
