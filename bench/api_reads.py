"""Baton's read API under load next to a bare Flask + SQLAlchemy 2 + marshmallow app.

Builds the data of bench/queue_page.py (one provider engaged by ``--clients``
clients, ``--rows`` requirements loaded with COPY) and gives each requirement
1 to ``--lines`` lines. One more requirement is made through the API itself,
as an ERP would: a supplier, five specification documents, a draft with five
lines (each bought to one of the specifications) and its submission. The
provider gets an API token from ``baton.tenants.services.create_api_token``.

Then two servers run side by side, both under gunicorn with
``infra/gunicorn.conf.py`` and ``--workers`` sync workers:

- Baton itself (``baton.platform.app:create_app()``, configured by environment
  variables as in production, connected as the ``baton_app`` role, so under
  row-level security), called with ``Authorization: Bearer <token>``;
- bench/bare_app.py, no auth and no tenancy, connected as a role that
  bypasses row-level security, doing the same reads.

wrk loads each endpoint for ``--duration`` seconds after a ``--warmup``,
``--rounds`` times, alternating real and bare, and every response must be a
200 (the run stops otherwise). Printed: req/s, p50 and p99 per endpoint and
server, the ratio real/bare against the targets of the issue, the SQL
statements per request (SQLAlchemy's view through ``app.test_client()`` and
PostgreSQL's through pg_stat_statements during the load), and with
``--profile`` a cProfile of the one-item read.

    .venv/bin/python bench/api_reads.py                     # 200,000 rows, 15 s x 2 rounds
    .venv/bin/python bench/api_reads.py --rows 20000 --duration 3 --warmup 1 --rounds 1
    .venv/bin/python bench/api_reads.py --profile           # and where the one-item read's time goes
    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/api_reads.py

Needs wrk (``apt-get install -y wrk``). wrk, the gunicorn workers and
PostgreSQL share the machine, so compare ratios rather than absolute figures
across machines.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import json
import logging
import os
import pstats
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from po_data import check_order_answers, load_orders  # noqa: E402
from queue_page import build_directory, load_requirements  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from tests.support.services import (  # noqa: E402
    PostgresServer,
    create_database,
    drop_database,
    free_port,
    wait_for_port,
)

BARE_ROLE = "bench_bare"
# The targets: Baton's throughput as a share of the bare app's.
TARGETS = {"item": 0.6, "queue": 0.5, "healthz": 0.9, "po": 0.6, "po_list": 0.6}
# A few bytes the upload check accepts as a PDF.
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# Variables of the outer environment that would change what the served app does.
APP_VARIABLES = ("REDIS_URL", "SECRET_KEY", "HOST", "PORT", "WEB_CONCURRENCY")
APP_PREFIXES = ("BATON_", "SMTP_", "GUNICORN_", "DATABASE_URL", "SERVICE_DATABASE_URL")
APP_PREFIXES += ("MIGRATION_DATABASE_URL", "BARE_")

# wrk runs this in every thread; done() adds up the threads' counts of non-200
# answers (wrk itself only counts statuses outside 2xx and 3xx) and prints one
# line of JSON that run_wrk() reads.
WRK_LUA = r"""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
  sample = ""
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if sample == "" then
      sample = tostring(status) .. " " .. string.sub(body or "", 1, 300)
    end
  end
end

function done(summary, latency, requests)
  local bad, first = 0, ""
  for _, t in ipairs(threads) do
    bad = bad + t:get("non200")
    local s = t:get("sample")
    if first == "" and s ~= nil then first = s end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %.0f, "p90_us": %.0f,'
    .. ' "p99_us": %.0f, "max_us": %.0f, "non200": %d, "connect": %d, "read": %d,'
    .. ' "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, bad, e.connect, e.read, e.write, e.status,
    e.timeout))
  if first ~= "" then io.write("BENCH_SAMPLE " .. first .. "\n") end
end
"""


@dataclass
class Endpoint:
    key: str
    label: str
    real: str
    bare: str
    authenticated: bool = True


@dataclass
class Run:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statements: float | None = None  # per request, from pg_stat_statements
    db_ms: float | None = None  # execution time per request, from pg_stat_statements
    load: float = 0.0  # the machine's 1-minute load average as the run started

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


@dataclass
class Statement:
    sql: str
    params: int
    cache: str
    ms: float
    label: str = ""


@dataclass
class StatementLog:
    """SQLAlchemy's statements, with their compiled-cache status and time."""

    records: list[Statement] = field(default_factory=list)
    on: bool = False
    _started: float = 0.0
    _label: str = ""

    def attach(self, engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        if not event.contains(Session, "do_orm_execute", self._orm):
            event.listen(Session, "do_orm_execute", self._orm)

    def _orm(self, state) -> None:
        if not self.on or not state.is_select:
            return
        if state.lazy_loaded_from is not None:
            self._label = f"lazy load of {_relationship_name(state)}"
        elif state.is_relationship_load:
            self._label = f"eager load of {_relationship_name(state)}"

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self._started = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not self.on:
            return
        if context is None or context.compiled is None:
            cache = "raw SQL"
        else:
            cache = getattr(context.cache_hit, "name", str(context.cache_hit))
        self.records.append(
            Statement(
                sql=" ".join(statement.split()),
                params=len(parameters or ()),
                cache=cache,
                ms=(time.perf_counter() - self._started) * 1000,
                label=self._label,
            )
        )
        self._label = ""

    def capture(self, fn) -> list[Statement]:
        self.records, self.on = [], True
        try:
            fn()
        finally:
            self.on = False
        return self.records


def explain_plans(app, path: str, auth: dict) -> list[tuple[str, list[str]]]:
    """Each SELECT of one request with its plan, EXPLAIN ANALYZE'd on the same
    connection right after it ran: same transaction, same tenant context."""
    engine = app.extensions["baton.db"].engine
    plans: list[tuple[str, list[str]]] = []

    def after(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith("SELECT") or "set_config" in statement:
            return
        # A second cursor of the same connection: the first one's rows are the app's.
        with cursor.connection.cursor() as other:
            other.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            plan = [row[0] for row in other.fetchall()]
        plans.append((" ".join(statement.split())[:160], plan))

    client = app.test_client()
    client.get(path, headers=auth)
    event.listen(engine, "after_cursor_execute", after)
    try:
        response = client.get(path, headers=auth)
        assert response.status_code == 200, (path, response.status_code)
    finally:
        event.remove(engine, "after_cursor_execute", after)
    return plans


def _relationship_name(state) -> str:
    try:
        prop = state.loader_strategy_path.path[-1]
        return f"{prop.parent.class_.__name__}.{prop.key}"
    except (AttributeError, IndexError, TypeError):
        return "a relationship"


# --- the database -------------------------------------------------------------------------


def start_postgres() -> PostgresServer:
    """tests.support's throwaway cluster, restarted with pg_stat_statements loaded."""
    server = PostgresServer()
    server.start()
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
    server.pg_ctl("restart")
    return server


def enable_statement_stats(admin_url: str) -> bool:
    try:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            conn.execute("SELECT 1 FROM pg_stat_statements LIMIT 1")
        return True
    except psycopg.Error as exc:
        print(
            f"pg_stat_statements unavailable ({str(exc).strip()[:120]}); counting in SQLAlchemy only"
        )
        return False


def bare_database_url(admin_url: str) -> str:
    """A login role that reads everything and bypasses row-level security: no tenancy."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (BARE_ROLE,)).fetchone():
            conn.execute(f"CREATE ROLE {BARE_ROLE} LOGIN PASSWORD '{BARE_ROLE}' BYPASSRLS")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {BARE_ROLE}")
    url = make_url(admin_url).set(username=BARE_ROLE, password=BARE_ROLE)
    return url.render_as_string(hide_password=False)


def load_lines(admin_url: str, max_lines: int) -> tuple[int, float]:
    """1 to ``max_lines`` lines per requirement, written by the server itself."""
    started = time.perf_counter()
    with psycopg.connect(admin_url) as conn:
        cur = conn.execute(
            "INSERT INTO requirement_lines (id, tenant_id, provider_id, requirement_id, line_no,"
            " item_code, description, quantity, unit, unit_price, need_by, spec_required,"
            " created_at)"
            " SELECT gen_random_uuid(), r.tenant_id, r.provider_id, r.id, n, 'IT-' || n,"
            " 'Bench line ' || n, 10 * n, 'each', 3.85, r.earliest_need_by, false, r.created_at"
            " FROM requirements r CROSS JOIN LATERAL"
            " generate_series(1, 1 + abs(hashtext(r.id::text)::bigint) %% %s) AS n",
            (max_lines,),
        )
        count = cur.rowcount
        conn.commit()
    return count, time.perf_counter() - started


def vacuum(admin_url: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def statement_stats(admin_url: str) -> dict[tuple[str, int], tuple[int, float, str]]:
    """pg_stat_statements of this database: (role, query id) -> calls, ms, text."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT s.userid::regrole::text, s.queryid, s.calls, s.total_exec_time, s.query"
            " FROM pg_stat_statements s"
            " WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ).fetchall()
    return {(role, qid): (calls, ms, query) for role, qid, calls, ms, query in rows}


def stats_delta(before: dict, after: dict, role: str) -> list[tuple[int, float, str]]:
    out = []
    for key, (calls, ms, query) in after.items():
        if key[0] != role:
            continue
        was_calls, was_ms, _ = before.get(key, (0, 0.0, ""))
        if calls > was_calls:
            out.append((calls - was_calls, ms - was_ms, query))
    return sorted(out, key=lambda row: -row[0])


# --- data through the real services and the API -------------------------------------------


def make_tokens(app, directory: dict, client_id: uuid.UUID) -> tuple[str, str]:
    """A provider token (buyer) for the reads and a client token (sourcing) for set-up."""
    from baton.platform.request_context import Actor, acting_as
    from baton.platform.tenancy import SERVICE_CONTEXT
    from baton.tenants import services

    with app.app_context(), acting_as(Actor("system", None, "bench")):
        session = app.extensions["baton.db"].new_service_session(SERVICE_CONTEXT)
        try:
            provider = services.get_organisation(session, directory["provider_id"])
            provider_token, _ = services.create_api_token(
                session, provider, name="bench reads", role="buyer", created_by=None
            )
            client = services.get_organisation(session, client_id)
            client_token, _ = services.create_api_token(
                session, client, name="bench ERP", role="sourcing", created_by=None
            )
            session.commit()
        finally:
            session.close()
    return provider_token, client_token


def make_target(app, token: str, engagement_id: uuid.UUID) -> str:
    """The requirement the one-item read fetches, made as an ERP makes one."""
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}

    def call(method: str, path: str, expect: int, **kwargs) -> dict:
        response = client.open(path, method=method, headers=auth, **kwargs)
        if response.status_code != expect:
            raise RuntimeError(
                f"{method} {path} answered {response.status_code}:"
                f" {response.get_data(as_text=True)[:500]}"
            )
        return response.get_json()

    supplier = call(
        "POST",
        "/api/v1/suppliers",
        201,
        json={"name": "Bench Fasteners", "code": "BENCH-1", "currency": "EUR"},
    )
    revisions = []
    for n in range(1, 6):
        document = call(
            "POST",
            "/api/v1/documents",
            201,
            data={
                "kind": "specification",
                "title": f"Bracket specification {n}",
                "file": (io.BytesIO(PDF), f"bracket-{n}.pdf"),
            },
            content_type="multipart/form-data",
        )
        revisions.append(document["revisions"][0]["id"])
    today = datetime.now(UTC).date()
    draft = call(
        "POST",
        "/api/v1/requirements",
        201,
        json={
            "client_reference": "BENCH-TARGET",
            "title": "Brackets for line 3",
            "engagement_id": str(engagement_id),
            "supplier_id": supplier["id"],
            "currency": "EUR",
            "payment_terms": "30 days net",
            "incoterms": "DAP",
            "quote_reference": "Q-2291",
            "quote_valid_until": str(today + timedelta(days=90)),
            "ship_to": "Plant 2, Dock 4",
            "sourcing_notes": "Awarded after a three-way RFQ",
            "assumptions": "Price assumes 3,000 a year",
            "priority": "high",
            "lines": [
                {
                    "item_code": f"BR-{n}00",
                    "description": f"Bracket {n}, zinc plated",
                    "quantity": str(250 * n),
                    "unit": "each",
                    "unit_price": "3.85",
                    "need_by": str(today + timedelta(days=60)),
                    "spec_required": True,
                    "spec_revision_ids": [revision],
                }
                for n, revision in enumerate(revisions, start=1)
            ],
        },
    )
    call("POST", f"/api/v1/requirements/{draft['id']}/submit", 200)
    return draft["id"]


# --- servers ------------------------------------------------------------------------------


class Gunicorn:
    """One gunicorn master with its workers, in a process group of its own."""

    def __init__(self, name: str, app_spec: str, env: dict, tmp: Path, args) -> None:
        self.name = name
        self.port = free_port()
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "-c",
            str(ROOT / "infra" / "gunicorn.conf.py"),
            "--pythonpath",
            str(BENCH),
        ]
        if not args.recycle:
            # The production settings restart a worker every ~2,000 requests; a
            # restart (the whole app imported again) would land inside a run.
            command += ["--max-requests", "0"]
        env = {
            **env,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WEB_CONCURRENCY": str(args.workers),
            "GUNICORN_THREADS": "1",
            "GUNICORN_LOG_LEVEL": "warning",
        }
        self.log_path = tmp / f"gunicorn-{name}.log"
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [*command, app_spec],
                env=env,
                cwd=tmp,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        try:
            wait_for_port(self.port, timeout)
        except RuntimeError as exc:
            raise RuntimeError(f"{self.name} did not start; see {self.log_tail()}") from exc
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_tail()}")
            try:
                if get(self.port, "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} never answered /healthz: {self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    """One request, redirects not followed (wrk would count a 3xx as a success)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def get_json(port: int, path: str, headers: dict | None = None) -> dict:
    status, body = get(port, path, headers)
    if status != 200:
        raise RuntimeError(f"GET {path} on port {port} answered {status}: {body[:500]!r}")
    return json.loads(body)


def check_answers(real: Gunicorn, bare: Gunicorn, auth: dict, endpoints: dict) -> dict:
    """Both servers give the same requirement and the same first page, and 200 for all."""
    item = get_json(real.port, endpoints["item"].real, auth)
    bare_item = get_json(bare.port, endpoints["item"].bare)
    lines = item["lines"]
    assert len(lines) == 5, len(lines)
    assert all(len(line["spec_revision_ids"]) == 1 for line in lines), lines
    assert [line["spec_revision_ids"] for line in bare_item["lines"]] == [
        line["spec_revision_ids"] for line in lines
    ]
    queue = get_json(real.port, endpoints["queue"].real, auth)
    bare_queue = get_json(bare.port, endpoints["queue"].bare)
    assert len(queue["items"]) == 50, len(queue["items"])
    assert [i["id"] for i in queue["items"]] == [i["id"] for i in bare_queue["items"]], (
        "the bare queue's first page differs from Baton's"
    )
    for app, server in (("real", real), ("bare", bare)):
        assert get_json(server.port, endpoints["healthz"].real) == {"status": "ok"}, app
    if "po" in endpoints:
        check_order_answers(
            get_json(real.port, endpoints["po"].real, auth),
            get_json(bare.port, endpoints["po"].bare),
            get_json(real.port, endpoints["po_list"].real, auth),
            get_json(bare.port, endpoints["po_list"].bare),
        )
    sizes = {}
    for ep in endpoints.values():
        sizes[(ep.key, "real")] = len(get(real.port, ep.real, auth if ep.authenticated else {})[1])
        sizes[(ep.key, "bare")] = len(get(bare.port, ep.bare)[1])
    return sizes


# --- load -------------------------------------------------------------------------------


def run_wrk(args, lua: Path, port: int, path: str, headers: dict, seconds: int) -> Run:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(lua),
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = json.loads(lines[-1][len("BENCH ") :])
    problems = {
        k: result[k]
        for k in ("non200", "status", "connect", "read", "write", "timeout")
        if result[k]
    }
    if problems or not result["requests"]:
        sample = [line for line in done.stdout.splitlines() if line.startswith("BENCH_SAMPLE")]
        raise RuntimeError(
            f"wrk on {path}: {result['requests']} requests, errors {problems}; "
            f"first bad answer: {sample[0] if sample else '-'}\n{done.stdout}"
        )
    return Run(
        requests=result["requests"],
        seconds=result["duration_us"] / 1e6,
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
    )


# --- in-process views: statements and profile ---------------------------------------------


def count_statements(app, log: StatementLog, path: str, auth: dict) -> list[Statement]:
    client = app.test_client()

    def once():
        response = client.get(path, headers=auth)
        assert response.status_code == 200, (path, response.status_code)

    # Warm: the token's last_used_at is written at most once a minute, and the
    # first request of a process compiles every statement.
    for _ in range(3):
        once()
    return log.capture(once)


def timed_requests(
    app, log: StatementLog, path: str, auth: dict, n: int
) -> tuple[float, list[Statement]]:
    """Mean wall time per request in-process, and the statements of all ``n``."""
    client = app.test_client()
    started = time.perf_counter()
    statements = log.capture(lambda: [client.get(path, headers=auth) for _ in range(n)])
    return (time.perf_counter() - started) * 1000 / n, statements


def profile(app, path: str, auth: dict, n: int) -> pstats.Stats:
    client = app.test_client()
    for _ in range(5):
        client.get(path, headers=auth)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        client.get(path, headers=auth)
    profiler.disable()
    return pstats.Stats(profiler)


def _where(filename: str) -> str:
    for marker in ("site-packages/", "lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    if filename.startswith(str(ROOT)):
        return filename[len(str(ROOT)) + 1 :]
    return filename


AREAS = (
    ("psycopg", ("/psycopg",)),
    ("sqlalchemy", ("/sqlalchemy/",)),
    ("marshmallow/webargs/smorest", ("/marshmallow/", "/webargs/", "/flask_smorest/")),
    ("flask/werkzeug", ("/flask/", "/werkzeug/", "/flask_login/", "/flask_wtf/")),
    ("logging/structlog", ("/structlog/", "/logging/")),
    ("baton", (str(ROOT),)),
)


def _area(filename: str, function: str) -> str:
    for name, markers in AREAS:
        if any(m in filename for m in markers):
            return name
    if filename == "~":
        if "psycopg" in function or "poll" in function or "select" in function:
            return "psycopg"
        return "builtins"
    return "other stdlib"


def print_profile(stats: pstats.Stats, n: int, title: str) -> None:
    rows = []
    by_area: dict[str, float] = {}
    total = 0.0
    for (filename, line, function), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():
        name = function if filename == "~" else f"{_where(filename)}:{line}({function})"
        rows.append((cumtime, tottime, calls, name))
        area = _area(filename, function)
        by_area[area] = by_area.get(area, 0.0) + tottime
        total += tottime
    print(f"\nprofile of {title}: {n} requests through app.test_client(), cProfile")
    print(f"  self time by area, ms per request (total {total * 1000 / n:.2f} ms under cProfile):")
    for area, seconds in sorted(by_area.items(), key=lambda kv: -kv[1]):
        print(f"    {area:<30} {seconds * 1000 / n:7.2f}  {seconds / total:6.1%}")
    for title, key in (("cumulative", 0), ("self (tottime)", 1)):
        print(f"  top 15 functions by {title} time, ms per request, calls per request:")
        for cum, tot, calls, name in sorted(rows, key=lambda r: -r[key])[:15]:
            shown = name if len(name) <= 92 else "..." + name[-89:]
            print(
                f"    {cum * 1000 / n:7.2f} cum {tot * 1000 / n:6.2f} self {calls / n:6.1f}x  {shown}"
            )


def describe(statement: Statement) -> str:
    sql = statement.sql
    if "set_config" in sql:
        return "set_config (RLS context)"
    verb = sql.split(" ", 1)[0].upper()
    table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", sql, re.IGNORECASE)
    text = f"{verb} {table.group(1) if table else ''}".strip()
    return f"{text} ({statement.label})" if statement.label else text


IN_LIST = re.compile(r"\bIN \(((?:%\(\w+\)s(?:::\w+)?(?:, )?)+)\)")


def in_lists(sql: str) -> list[int]:
    """Sizes of the expanded IN (...) lists of bound parameters in a statement."""
    return [m.count("%(") for m in IN_LIST.findall(sql)]


def psycopg_cache_limits() -> tuple[int, int]:
    """psycopg keeps its %(name)s -> $n conversion of a query only up to these sizes."""
    try:
        from psycopg import _queries

        return _queries.MAX_CACHED_STATEMENT_LENGTH, _queries.MAX_CACHED_STATEMENT_PARAMS
    except (ImportError, AttributeError):
        return 4096, 50


def print_statements(title: str, statements: list[Statement]) -> None:
    max_chars, max_params = psycopg_cache_limits()
    print(f"\n{title}: {len(statements)} statements")
    print(
        f"  {'#':>2} {'statement':<52} {'chars':>6} {'params':>6} {'IN-lists':<11}"
        f" {'cache':<10} {'ms':>6}"
    )
    for n, s in enumerate(statements, start=1):
        lists = ",".join(str(k) for k in in_lists(s.sql)) or "-"
        print(
            f"  {n:2d} {describe(s)[:52]:<52} {len(s.sql):6d} {s.params:6d} {lists:<11}"
            f" {s.cache:<10} {s.ms:6.2f}"
        )
    uncached = sum(len(s.sql) > max_chars or s.params > max_params for s in statements)
    print(
        f"  {sum(len(s.sql) for s in statements):,} characters of SQL and"
        f" {sum(s.params for s in statements):,} bind parameters in all; {uncached} of the"
        f" statements are over psycopg's {max_chars} characters or {max_params} parameters, so"
        " psycopg converts their placeholders again on every execution"
    )


# --- the report -------------------------------------------------------------------------


def machine_info(admin_url: str, args) -> list[str]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with psycopg.connect(admin_url) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    versions = ", ".join(
        f"{p} {metadata.version(p)}"
        for p in ("Flask", "SQLAlchemy", "marshmallow", "psycopg", "gunicorn")
    )
    return [
        f"machine: {os.cpu_count()} CPUs ({model or 'unknown model'}), PostgreSQL {pg},"
        f" Python {sys.version.split()[0]}",
        f"         {versions}; {wrk.split(' [')[0]}",
        f"load:    wrk -t{args.threads} -c{args.connections}, {args.duration:g} s per run after"
        f" {args.warmup:g} s warm-up, {args.rounds} rounds alternating real and bare;"
        f" gunicorn {args.workers} sync workers each; wrk, both servers and PostgreSQL share"
        " the machine",
    ]


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def print_table(endpoints: dict, results: dict, sizes: dict) -> None:
    loads = [r.load for runs in results.values() for r in runs]
    print(
        f"load average as the runs started: {min(loads):.1f} to {max(loads):.1f}"
        f" on {os.cpu_count()} CPUs (anything else running skews both servers alike"
        " only if it is steady)"
    )
    head = (
        f"{'endpoint':<34} {'real req/s':>10} {'p50 ms':>7} {'p99 ms':>7}   "
        f"{'bare req/s':>10} {'p50 ms':>7} {'p99 ms':>7}   {'real/bare':>9} {'target':>7}"
    )
    print("\n" + head)
    print("-" * len(head))
    for ep in endpoints.values():
        real, bare = results[(ep.key, "real")], results[(ep.key, "bare")]
        ratio = mean([r.rate for r in real]) / mean([r.rate for r in bare])
        target = TARGETS[ep.key]
        verdict = "ok" if ratio >= target else "MISSED"
        print(
            f"{ep.label:<34} {mean([r.rate for r in real]):10.0f} "
            f"{mean([r.p50_ms for r in real]):7.1f} {mean([r.p99_ms for r in real]):7.1f}   "
            f"{mean([r.rate for r in bare]):10.0f} {mean([r.p50_ms for r in bare]):7.1f} "
            f"{mean([r.p99_ms for r in bare]):7.1f}   {ratio:9.2f} {'>= ' + str(target):>7} {verdict}"
        )
    print("(means of the rounds; each round below)")
    for ep in endpoints.values():
        for app in ("real", "bare"):
            runs = results[(ep.key, app)]
            path = ep.real if app == "real" else ep.bare
            detail = "  ".join(
                f"{r.rate:7.0f}/s p50 {r.p50_ms:5.1f} p99 {r.p99_ms:6.1f}" for r in runs
            )
            print(f"  {app} {path[:44]:<44} {sizes[(ep.key, app)]:6d} B  {detail}")


def _targets(endpoints, real, bare, auth):
    """Each endpoint on the real server, then on the bare one, with its headers."""
    for ep in endpoints.values():
        for name, srv, path in (("real", real, ep.real), ("bare", bare, ep.bare)):
            yield ep, name, srv, path, auth if (name == "real" and ep.authenticated) else {}


def measure(args, tmp, endpoints, real, bare, auth, admin_url, with_stats):
    """Every endpoint on both servers, real then bare, ``--rounds`` times."""
    lua = tmp / "check.lua"
    lua.write_text(WRK_LUA)
    results: dict[tuple[str, str], list[Run]] = {}
    seen_by_pg: dict[tuple[str, str], tuple[int, list]] = {}
    roles = {"real": "baton_app", "bare": BARE_ROLE}
    for round_no in range(1, args.rounds + 1):
        for ep, name, srv, path, headers in _targets(endpoints, real, bare, auth):
            if args.warmup > 0:
                run_wrk(args, lua, srv.port, path, headers, args.warmup)
            # Let the requests still in flight finish: wrk does not wait for
            # them, and they would land in the statement counts.
            time.sleep(0.5)
            load = os.getloadavg()[0]
            before = statement_stats(admin_url) if with_stats else {}
            result = run_wrk(args, lua, srv.port, path, headers, args.duration)
            if with_stats:
                time.sleep(0.5)
                delta = stats_delta(before, statement_stats(admin_url), roles[name])
                # One transaction per request on every endpoint that uses the
                # database, so its BEGINs count the requests the server handled.
                served = sum(c for c, _ms, q in delta if q.strip().upper() == "BEGIN")
                if served:
                    result.statements = sum(c for c, _ms, _q in delta) / served
                    result.db_ms = sum(ms for _c, ms, _q in delta) / served
                else:
                    result.statements, result.db_ms = 0.0, 0.0
                seen_by_pg.setdefault((ep.key, name), (served, delta))
            result.load = load
            results.setdefault((ep.key, name), []).append(result)
            print(
                f"round {round_no}: {name} {path[:48]:<48} {result.rate:7.0f} req/s"
                f"  p50 {result.p50_ms:5.1f} ms  p99 {result.p99_ms:6.1f} ms"
                f"  (load average {load:.1f} before)",
                flush=True,
            )
    return results, seen_by_pg


def measure_latency(args, tmp, endpoints, real, bare, auth) -> dict[tuple[str, str], Run]:
    """One more run of each endpoint at ``--latency-connections``: latency at
    a load the servers can take without queueing. At 16 connections on 4
    workers a request mostly waits its turn (Little's law: 16 / throughput),
    so the throughput runs' p99 says more about the queue than the code."""
    low = argparse.Namespace(**vars(args))
    low.connections = args.latency_connections
    low.threads = min(args.threads, args.latency_connections)
    lua = tmp / "check.lua"
    found: dict[tuple[str, str], Run] = {}
    for ep, name, srv, path, headers in _targets(endpoints, real, bare, auth):
        if args.warmup > 0:
            run_wrk(low, lua, srv.port, path, headers, args.warmup)
        time.sleep(0.5)
        found[(ep.key, name)] = run_wrk(low, lua, srv.port, path, headers, args.duration)
    return found


def print_latency(args, endpoints, found: dict[tuple[str, str], Run]) -> None:
    print(
        f"\nlatency at {args.latency_connections} connections"
        f" (wrk -t{min(args.threads, args.latency_connections)} -c{args.latency_connections},"
        f" {args.duration} s each; target p99 < 50 ms)"
    )
    head = (
        f"{'endpoint':<34} {'real req/s':>10} {'p50 ms':>7} {'p99 ms':>7}   "
        f"{'bare req/s':>10} {'p50 ms':>7} {'p99 ms':>7}"
    )
    print(head)
    print("-" * len(head))
    for ep in endpoints.values():
        r, b = found[(ep.key, "real")], found[(ep.key, "bare")]
        print(
            f"{ep.label:<34} {r.rate:10.0f} {r.p50_ms:7.1f} {r.p99_ms:7.1f}   "
            f"{b.rate:10.0f} {b.p50_ms:7.1f} {b.p99_ms:7.1f}"
        )


def print_statement_summary(endpoints, counted, results, with_stats) -> None:
    print("\nSQL statements per request")
    print(
        f"  {'endpoint':<44} {'SQLAlchemy':>10} {'set_config':>10} {'lazy':>5}"
        f" {'cache miss':>10} {'PostgreSQL':>10} {'DB exec ms':>10}"
    )
    for ep in endpoints.values():
        for name, path in (("real", ep.real), ("bare", ep.bare)):
            runs = results[(ep.key, name)]
            if with_stats:
                pg = f"{mean([r.statements for r in runs]):10.1f}"
                db_ms = f"{mean([r.db_ms for r in runs]):10.2f}"
            else:
                pg = db_ms = f"{'n/a':>10}"
            if name == "real":
                statements = counted[ep.key]
                orm = (
                    f"{len(statements):10d} {sum('set_config' in s.sql for s in statements):10d}"
                    f" {sum(s.label.startswith('lazy') for s in statements):5d}"
                    f" {sum(s.cache == 'CACHE_MISS' for s in statements):10d}"
                )
            else:
                orm = f"{'':10} {'':10} {'':5} {'':10}"
            print(f"  {name} {path[:39]:<39} {orm} {pg} {db_ms}")
    print(
        "  SQLAlchemy: cursor executions of one warm request through app.test_client() (the"
        " bare app's\n  are its 3 or 1 SELECTs by construction). PostgreSQL: pg_stat_statements"
        " calls per request\n  under load, so with BEGIN and COMMIT/ROLLBACK; each request also"
        " has the pool's pre-ping (an\n  empty ';' query, one more round trip, which"
        " pg_stat_statements does not record). DB exec ms:\n  server execution time of those"
        " statements per request (no network, no planning)."
    )


def print_server_statements(title: str, served: int, delta: list) -> None:
    print(f"\n{title} as PostgreSQL saw it (round 1, {served} requests): calls/request, ms/call")
    for calls, ms, query in delta[:20]:
        text = " ".join(query.split())
        print(f"  {calls / served:5.2f} {ms / calls:7.3f}  {text[:104]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="requirements in the queue")
    parser.add_argument("--drafts", type=int, default=0, help="drafts besides (not in the queue)")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--lines", type=int, default=5, help="at most this many lines per row")
    parser.add_argument(
        "--orders", type=int, default=0, help="purchase orders besides (0: no order reads)"
    )
    parser.add_argument("--order-lines", type=int, default=1, help="lines per purchase order")
    # Whole seconds: wrk takes no fractions.
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument(
        "--warmup", type=int, default=3, help="seconds of load before each; 0: none"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers per app")
    parser.add_argument(
        "--latency-connections",
        type=int,
        default=0,
        help="after the throughput rounds, one run per endpoint at this many connections"
        " (latency without queueing; 0: none)",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        help="BATON_LOG_LEVEL of the served app (INFO, the default, logs every request)",
    )
    parser.add_argument(
        "--recycle",
        action="store_true",
        help="keep gunicorn.conf.py's max_requests (workers restart every ~2,000 requests)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the one-item read")
    parser.add_argument(
        "--profile-endpoint",
        default="item",
        choices=("item", "queue", "healthz", "po", "po_list"),
        help="which endpoint --profile and the in-process timing read (po, po_list need --orders)",
    )
    parser.add_argument("--profile-requests", type=int, default=300)
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print the plans of the one-item read, the queue page and (with --orders) the"
        " order reads, and stop",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")

    tmp = Path(tempfile.mkdtemp(prefix="baton-bench-reads-"))
    server = None
    admin_url = os.environ.get("TEST_DATABASE_URL")
    if not admin_url:
        server = start_postgres()
        admin_url = server.url
    urls = create_database(admin_url)
    servers: list[Gunicorn] = []
    app = None
    try:
        from baton.platform.app import create_app
        from baton.platform.migrate import upgrade

        upgrade(urls.owner)
        with_stats = enable_statement_stats(urls.admin)
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in APP_VARIABLES and not k.startswith(APP_PREFIXES)
        }
        env |= {
            # As production runs: the checks of BATON_ENV=production pass, and the
            # web process connects as baton_app (no BYPASSRLS), never as the owner.
            "BATON_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": urls.app,
            "SERVICE_DATABASE_URL": urls.service,
            "MIGRATION_DATABASE_URL": urls.owner,
            "BATON_INSTANCE_PATH": str(tmp / "instance"),
            "BATON_PUBLIC_URL": "http://127.0.0.1",
            "BATON_LOG_LEVEL": args.log_level,
        }
        # The in-process app (set-up, statement counts, profile) is configured the same way.
        for key in [k for k in os.environ if k not in env]:
            del os.environ[key]
        os.environ.update(env)
        app = create_app()
        logging.getLogger().setLevel(logging.WARNING)

        started = time.perf_counter()
        directory = build_directory(app, args.clients)
        print(
            f"{args.clients} clients engaged with one provider in {time.perf_counter() - started:.1f} s"
        )
        seconds = load_requirements(urls.admin, directory, args.rows, args.drafts)
        print(
            f"loaded {args.rows:,} queue requirements + {args.drafts:,} drafts in {seconds:.1f} s (COPY)"
        )
        lines, seconds = load_lines(urls.admin, args.lines)
        print(f"added {lines:,} lines (1 to {args.lines} each) in {seconds:.1f} s")
        k = len(directory["clients"]) // 2
        provider_token, client_token = make_tokens(app, directory, directory["clients"][k])
        target = make_target(app, client_token, directory["engagements"][k])
        print(f"requirement {target}: 5 lines with a specification each, submitted through the API")
        target_po = None
        if args.orders:
            target_po, seconds = load_orders(
                urls.admin, directory, args.orders, args.order_lines, directory["clients"][k]
            )
            print(
                f"loaded {args.orders:,} purchase orders ({args.order_lines} line(s) each, 5 for"
                f" {target_po}) in {seconds:.1f} s (COPY)"
            )
        vacuum(urls.admin)

        bare_env = {**env, "BARE_DATABASE_URL": bare_database_url(urls.admin)}
        real = Gunicorn("real", "baton.platform.app:create_app()", env, tmp, args)
        bare = Gunicorn("bare", "bare_app:create_app()", bare_env, tmp, args)
        servers += [real, bare]
        real.wait_ready()
        bare.wait_ready()

        auth = {"Authorization": f"Bearer {provider_token}"}
        provider = directory["provider_id"]
        endpoints = {
            "item": Endpoint(
                "item",
                "one requirement, 5 lines",
                f"/api/v1/queue/{target}",
                f"/requirements/{target}",
            ),
            "queue": Endpoint(
                "queue",
                "first page of the queue (50)",
                "/api/v1/queue",
                f"/queue?provider_id={provider}",
            ),
            "healthz": Endpoint("healthz", "/healthz", "/healthz", "/healthz", authenticated=False),
        }
        if target_po:
            endpoints["po"] = Endpoint(
                "po",
                "one purchase order, 5 lines",
                f"/api/v1/purchase-orders/{target_po}",
                f"/purchase-orders/{target_po}",
            )
            endpoints["po_list"] = Endpoint(
                "po_list",
                "first page of purchase orders (50)",
                "/api/v1/purchase-orders",
                f"/purchase-orders?provider_id={provider}",
            )
        sizes = check_answers(real, bare, auth, endpoints)

        if args.explain:
            explained = ("item", "queue", "po", "po_list")
            for sql, plan in [
                row
                for key in explained
                if key in endpoints
                for row in explain_plans(app, endpoints[key].real, auth)
            ]:
                print(f"\n{sql}")
                for row in plan:
                    print(f"    {row}")
            return

        log = StatementLog()
        log.attach(app.extensions["baton.db"].engine)
        counted = {
            ep.key: count_statements(app, log, ep.real, auth if ep.authenticated else {})
            for ep in endpoints.values()
        }
        results, seen_by_pg = measure(
            args, tmp, endpoints, real, bare, auth, urls.admin, with_stats
        )
        latency = (
            measure_latency(args, tmp, endpoints, real, bare, auth)
            if args.latency_connections
            else None
        )

        print()
        for line in machine_info(urls.admin, args):
            print(line)
        print(
            f"data:    {args.rows:,} requirements over {args.clients} clients, {lines:,} lines,"
            f" {args.orders:,} purchase orders;"
            " Baton as baton_app under RLS with a provider token; bare as a BYPASSRLS role"
        )
        print_table(endpoints, results, sizes)
        if latency:
            print_latency(args, endpoints, latency)
        print_statement_summary(endpoints, counted, results, with_stats)
        print_statements(f"one-item read, {endpoints['item'].real} (SQLAlchemy)", counted["item"])
        print_statements(f"queue page, {endpoints['queue'].real} (SQLAlchemy)", counted["queue"])
        for key, name, title in (
            ("item", "real", "one-item read"),
            ("item", "bare", "bare one-item read"),
            ("queue", "real", "queue page"),
        ):
            if (key, name) in seen_by_pg:
                print_server_statements(title, *seen_by_pg[(key, name)])
        settings = [s for s in counted["item"] if "set_config" in s.sql]
        if settings:
            print(
                f"\nRLS context: {len(settings)} set_config statements per request; the provider's"
                f" context holds {args.clients + 1} tenant ids, named by the setting ('engaged')"
                " and read by the policies from provider_visibility (decision 0017)"
            )
        n = 200
        chosen = endpoints[args.profile_endpoint]
        wall, statements = timed_requests(app, log, chosen.real, auth, n)
        misses = sum(s.cache == "CACHE_MISS" for s in statements)
        print(
            f"in-process {chosen.label} ({n} requests, app.test_client(), no profiler):"
            f" {wall:.2f} ms per request, {sum(s.ms for s in statements) / n:.2f} ms of it in"
            f" cursor.execute for {len(statements) / n:.0f} statements;"
            f" {misses} compiled-cache misses in {len(statements)} statements"
        )
        if args.profile:
            stats = profile(app, chosen.real, auth, args.profile_requests)
            print_profile(stats, args.profile_requests, chosen.label)
            stats.dump_stats(tmp.parent / "api_reads.prof")
            print(f"profile kept in {tmp.parent / 'api_reads.prof'} (python -m pstats)")
    except BaseException:
        for srv in servers:
            print(f"--- end of the {srv.name} server's log ---\n{srv.log_tail()}", file=sys.stderr)
        raise
    finally:
        for srv in servers:
            srv.stop()
        if app is not None:
            app.extensions["baton.db"].dispose()
        drop_database(admin_url, urls.name)
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
