"""The provider queue's first page with 200,000 handoffs across 200 clients.

Builds one provider engaged by ``--clients`` clients, loads ``--rows``
submitted (and in-review, returned, accepted) requirements plus some drafts
with COPY, then asks for the queue's first page as one of the provider's
buyers, through the real app (routing, sign-in, RLS context, the query, the
due-today counts, the template) for ``--requests`` requests per scenario.
Prints p50/p95 server time per scenario and the plan of the main query.

    .venv/bin/python bench/queue_page.py                         # throwaway PostgreSQL
    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/queue_page.py
    .venv/bin/python bench/queue_page.py --rows 20000 --requests 50   # a quick look

Target (issue 4): p95 under 150 ms for the first page filtered and sorted by SLA.
"""

from __future__ import annotations

# Not named queue.py: Python puts a script's folder first on the import path,
# so a bench/queue.py would stand in for the standard library's ``queue``
# module (which psycopg imports) in every script run from bench/.
import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from tests.support.services import PostgresServer, create_database, drop_database  # noqa: E402

PASSWORD = "correct-horse-battery"
STATUSES = ["submitted"] * 6 + ["in_review"] * 2 + ["returned", "accepted"]
PRIORITIES = ["low", "normal", "normal", "normal", "high", "urgent"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def build_directory(app, clients: int) -> dict:
    """One provider with buyers, ``clients`` clients, each actively engaged."""
    from baton.platform.db import db
    from baton.platform.request_context import Actor, acting_as
    from baton.platform.tenancy import SERVICE_CONTEXT
    from baton.tenants import services

    tag = uuid.uuid4().hex[:6]
    with app.app_context(), acting_as(Actor("system", None, "bench")):
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            provider = services.create_organisation(
                session, name=f"Bench provider {tag}", kind="provider", code="BNCH"
            )
            buyers = []
            for n in range(5):
                user = services.create_user(
                    session,
                    email=f"buyer{n}.{tag}@bench.example",
                    name=f"Buyer {n}",
                    password=PASSWORD,
                )
                services.add_member(session, provider, user, "buyer")
                buyers.append(user.id)
            client_ids, engagement_ids = [], []
            for n in range(clients):
                client = services.create_organisation(
                    session, name=f"Client {n:03d} {tag}", kind="client", code=f"C{n:03d}"
                )
                engagement = services.create_engagement(session, client=client, provider=provider)
                client_ids.append(client.id)
                engagement_ids.append(engagement.id)
            session.commit()
        finally:
            session.close()
    return {
        "provider_id": provider.id,
        "buyers": buyers,
        "buyer_email": f"buyer0.{tag}@bench.example",
        "clients": client_ids,
        "engagements": engagement_ids,
    }


def load_requirements(admin_url: str, directory: dict, rows: int, drafts: int) -> float:
    """COPY as the superuser (it bypasses RLS, as a bulk load by the operator would)."""
    rng = random.Random(4)
    now = datetime.now(UTC)
    today = now.date()
    provider_id = directory["provider_id"]
    columns = (
        "id, tenant_id, provider_id, client_reference, title, engagement_id, currency,"
        " priority, status, submitted_at, sla_due_at, earliest_need_by, assigned_buyer_id,"
        " ready, quote_reference, ship_to, created_at, updated_at"
    )
    started = time.perf_counter()
    with psycopg.connect(admin_url) as conn:
        with conn.cursor() as cur, cur.copy(f"COPY requirements ({columns}) FROM STDIN") as copy:
            for n in range(rows + drafts):
                k = n % len(directory["clients"])
                draft = n >= rows
                submitted_at = now - timedelta(minutes=rng.randint(0, 20 * 24 * 60))
                copy.write_row(
                    (
                        uuid.uuid4(),
                        directory["clients"][k],
                        provider_id,
                        f"B-{n:07d}",
                        f"Bench requirement {n}",
                        directory["engagements"][k],
                        "EUR",
                        rng.choice(PRIORITIES),
                        "draft" if draft else rng.choice(STATUSES),
                        None if draft else submitted_at,
                        None if draft else submitted_at + timedelta(hours=48),
                        today + timedelta(days=rng.randint(-5, 120)),
                        rng.choice(directory["buyers"] + [None] * 5) if not draft else None,
                        rng.random() < 0.8,
                        "Q-1",
                        "Dock 1",
                        submitted_at,
                        submitted_at,
                    )
                )
        conn.commit()
    elapsed = time.perf_counter() - started
    # What autovacuum does soon after a bulk load: statistics and the visibility
    # map (the due-today count is an index-only scan).
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE requirements")
    return elapsed


def explain(admin_url: str, directory: dict) -> list[str]:
    """The main query's plan as the app role with the buyer's RLS context."""
    clients = "{" + ",".join(str(c) for c in directory["clients"]) + "}"
    org = str(directory["provider_id"])
    with psycopg.connect(admin_url) as conn:
        conn.execute("SET ROLE baton_app")
        conn.execute(
            "SELECT set_config('baton.org_id', %s, false), set_config('baton.org_kind', 'provider', false),"
            " set_config('baton.tenant_ids', %s, false)",
            (org, clients[:-1] + "," + org + "}"),
        )
        plan = conn.execute(
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) SELECT * FROM requirements"
            " WHERE provider_id = %s AND tenant_id = ANY(%s::uuid[]) AND status <> 'draft'"
            " AND submitted_at IS NOT NULL"
            " AND status IN ('submitted', 'in_review', 'returned', 'accepted')"
            " AND status = 'submitted' AND priority = 'high' AND ready"
            " ORDER BY sla_due_at, id LIMIT 51",
            (org, clients),
        ).fetchall()
    return [row[0] for row in plan]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--drafts", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    server = None
    admin_url = os.environ.get("TEST_DATABASE_URL")
    if not admin_url:
        server = PostgresServer()
        server.start()
        admin_url = server.url
    urls = create_database(admin_url)
    tmp = Path(tempfile.mkdtemp(prefix="baton-bench-queue-"))
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
        load_seconds = load_requirements(urls.admin, directory, args.rows, args.drafts)
        print(
            f"loaded {args.rows:,} queue requirements + {args.drafts:,} drafts across"
            f" {args.clients} clients in {load_seconds:.1f} s (COPY)"
        )

        client = app.test_client()
        response = client.post(
            "/login", data={"email": directory["buyer_email"], "password": PASSWORD}
        )
        assert response.status_code == 302, response.status_code
        some_client = directory["clients"][7]
        today = datetime.now(UTC).date()
        window = (today + timedelta(days=30), today + timedelta(days=45))
        scenarios = {
            "first page, sorted by SLA (no filter)": "/provider/queue/?sort=sla",
            "filtered: submitted, high priority, ready; by SLA": (
                "/provider/queue/?status=submitted&priority=high&readiness=ready&sort=sla"
            ),
            "filtered: one client, unassigned; by SLA": (
                f"/provider/queue/?client_id={some_client}&buyer=none&sort=sla"
            ),
            "filtered: need-by window; by need-by": (
                f"/provider/queue/?need_by_from={window[0]}&need_by_to={window[1]}&sort=need_by"
            ),
            "page 40, sorted by age": "/provider/queue/?sort=age&page=40",
        }
        print(f"\n{os.cpu_count()} CPUs, PostgreSQL, {args.requests} requests per scenario")
        print(f"{'scenario':<52} {'p50 ms':>8} {'p95 ms':>8} {'rows':>5}")
        for name, url in scenarios.items():
            for _ in range(10):  # warm the pool, caches and the template
                client.get(url)
            times = []
            for _ in range(args.requests):
                started = time.perf_counter()
                page = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                assert page.status_code == 200, page.status_code
            rows = page.text.count('data-testid="queue-row"')
            print(
                f"{name:<52} {statistics.median(times):8.1f} {percentile(times, 0.95):8.1f} {rows:5d}"
            )
        print("\nplan of the filtered query (app role, buyer's RLS context):")
        for line in explain(urls.admin, directory):
            print("  " + (line if len(line) <= 160 else line[:157] + "..."))
        app.extensions["baton.db"].dispose()
    finally:
        drop_database(admin_url, urls.name)
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
