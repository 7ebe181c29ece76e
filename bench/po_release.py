"""Releasing purchase orders end to end: PDF, S3, email, through the outbox and workers.

Starts a throwaway PostgreSQL, Redis, moto's S3 server (its own process, over
HTTP) and an SMTP server (aiosmtpd, its own process), and ``--workers`` real
``baton worker`` processes. Set-up (not timed) makes ``--count`` approved
orders of 5 lines each through the domain services, as buyers would: an
accepted handoff per order, a draft from its lines, submission under the
client's approval threshold.

Timed: each order is released in its own transaction, as the buyer's request
does (``procurement.orders.release.release``, commit, hand the outbox rows to
the relay), one after the other; then the workers render each PDF with
ReportLab, store it as a document revision in S3 and email it to the
supplier with the PDF attached. The clock stops when the SMTP server has
accepted the last email.

    .venv/bin/python bench/po_release.py                 # 1,000 orders, 2 workers
    .venv/bin/python bench/po_release.py --count 50      # a quick look

Prints wall time, throughput, and the delay from each release's commit to its
email's acceptance. Checks, so a broken run does not print nonsense: one email
per order, each with a PDF attached, and one S3 object per order.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.notifications import percentile, read_stamps  # noqa: E402
from tests.support.s3 import FAKE_AWS_ENV, REGION, MotoS3  # noqa: E402
from tests.support.services import (  # noqa: E402
    PostgresServer,
    RedisServer,
    create_database,
    drop_database,
    free_port,
    wait_for_port,
)

# Like bench/notifications.py's server, and it also notes whether a PDF came along.
SMTP_SERVER = """
import sys, time
from aiosmtpd.controller import Controller

out = open(sys.argv[2], "a", buffering=1)


class Stamp:
    async def handle_DATA(self, server, session, envelope):
        now = time.time()
        pdf = b"application/pdf" in envelope.content
        for line in envelope.content.split(b"\\r\\n", 60):
            if line.lower().startswith(b"message-id:"):
                out.write(f"{line.split(b':', 1)[1].strip().decode()} {int(pdf)} {now}\\n")
                break
        return "250 OK"


Controller(Stamp(), hostname="127.0.0.1", port=int(sys.argv[1]), data_size_limit=0).start()
while True:
    time.sleep(3600)
"""


def start_moto() -> tuple[subprocess.Popen, MotoS3]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, **FAKE_AWS_ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return proc, MotoS3(f"http://127.0.0.1:{port}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the release requests; print each phase's median and the top functions",
    )
    args = parser.parse_args()

    os.environ.update(FAKE_AWS_ENV)
    os.environ.setdefault("BATON_LOG_LEVEL", "WARNING")
    tmp = Path(tempfile.mkdtemp(prefix="baton-bench-"))
    pg, redis = PostgresServer(), RedisServer()
    pg.start()
    redis.start()
    moto, s3 = start_moto()
    smtp_port, stamps = free_port(), tmp / "accepted.txt"
    smtp = subprocess.Popen(
        [sys.executable, "-c", SMTP_SERVER, str(smtp_port), str(stamps)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(smtp_port)
    urls = create_database(pg.url)
    bucket = s3.versioned_bucket()
    procs: list[subprocess.Popen] = []
    try:
        from baton.platform.migrate import upgrade

        upgrade(urls.owner)
        settings = {
            "database_url": urls.app,
            "service_database_url": urls.service,
            "storage_backend": "s3",
            "s3_bucket": bucket,
            "s3_endpoint_url": s3.endpoint_url,
            "s3_region": REGION,
        }
        started = time.monotonic()
        world, po_ids = make_orders(args.count, tmp, settings)
        print(
            f"set-up: {args.count} approved orders of 5 lines in {time.monotonic() - started:.0f} s"
        )
        env = {
            **os.environ,
            "BATON_ENV": "bench",
            "BATON_INSTANCE_PATH": str(tmp / "instance"),
            "DATABASE_URL": urls.app,
            "SERVICE_DATABASE_URL": urls.service,
            "REDIS_URL": redis.url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "SMTP_STARTTLS": "0",
            "SECRET_KEY": "bench",
            "BATON_S3_BUCKET": bucket,
            "BATON_S3_ENDPOINT_URL": s3.endpoint_url,
            "BATON_S3_REGION": REGION,
        }
        for i in range(args.workers):
            with (tmp / f"worker-{i}.log").open("wb") as log:
                procs.append(
                    subprocess.Popen(
                        [str(Path(sys.executable).with_name("baton")), "worker"],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        wait_for_workers(redis.url, args.workers)
        roles = {"moto (S3)": [moto.pid], "SMTP server": [smtp.pid]}
        roles |= {f"worker {i}": [proc.pid] for i, proc in enumerate(procs)}
        cpu_before = cpu_by_role(roles)
        commits, first, last = release_all(
            world, po_ids, tmp, settings | {"redis_url": redis.url}, args.profile
        )
        deadline = time.monotonic() + args.timeout
        while len(read_pdf_stamps(stamps)) < args.count and time.monotonic() < deadline:
            time.sleep(0.25)
        report(args, commits, first, last, read_pdf_stamps(stamps), read_stamps(stamps)[1])
        report_cpu(cpu_before, cpu_by_role(roles), len(commits))
        report_jobs(redis.url)
        objects = s3.client().list_objects_v2(Bucket=bucket).get("KeyCount", 0)
        print(f"S3 objects in the bucket: {objects}")
        assert objects >= args.count, "a PDF is missing from S3"
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        for proc in (smtp, moto):
            proc.terminate()
            proc.wait(10)
        drop_database(pg.url, urls.name)
        redis.stop()
        pg.stop()


def wait_for_workers(redis_url: str, count: int, timeout: float = 120.0) -> None:
    """Until every worker has registered with Redis: the clock leaves out
    their start (importing the app costs each a few CPU seconds)."""
    from redis import Redis
    from rq import Worker

    connection = Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while len(Worker.all(connection=connection)) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{count} workers did not start in {timeout:.0f} s")
        time.sleep(0.1)


def read_pdf_stamps(path: Path) -> dict[str, tuple[bool, float]]:
    """Message-ID -> (a PDF was attached, first acceptance time)."""
    seen: dict[str, tuple[bool, float]] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            message_id, pdf, when = line.rsplit(" ", 2)
            seen.setdefault(message_id, (pdf == "1", float(when)))
    return seen


def _app(tmp: Path, name: str, settings: dict):
    from baton.platform.app import create_app

    return create_app({"instance_path": tmp / name, **settings})


def make_orders(count: int, tmp: Path, settings: dict):
    """Approved orders through the services, jobs inline (no Redis yet)."""
    from baton.procurement.orders import drafting
    from baton.sourcing.requirements.models import HandoffSnapshot, Requirement
    from tests.support import orders as o
    from tests.support import requirements as h
    from tests.support.world import make_world

    app = _app(tmp, "setup", settings)
    world = make_world(app)
    o.set_policy(app, world, "1000000")
    supplier = h.make_supplier(app, world)
    lines = [h.good_line(item_code=f"ITEM-{n}", description=f"Part {n}") for n in range(5)]
    po_ids = []
    for _ in range(count):
        rid = o.accepted(app, world, supplier_id=supplier, lines=lines)
        # Its lines by key, as the ready list gives them (that list shows 500 at most).
        with h.service_session(app) as session:
            req = session.get(Requirement, rid)
            snapshot = session.get(HandoffSnapshot, req.current_snapshot_id)
            keys = [f"{rid}:{line['line_id']}" for line in snapshot.payload["lines"]]
        with h.as_provider(app, world) as (session, user_id):
            po_id = drafting.create_draft(session, world.orgs["north"], user_id, keys).id
        o.submit(app, world, po_id)
        po_ids.append(po_id)
    app.extensions["baton.db"].dispose()
    return world, po_ids


def release_all(world, po_ids: list[uuid.UUID], tmp: Path, settings: dict, profile: bool):
    """Release each order as the buyer's request does; Message-ID -> commit time."""
    import cProfile
    import pstats

    from baton.platform import mail
    from baton.platform.db import db, set_context
    from baton.platform.heap import freeze_startup_heap
    from baton.platform.jobs import dispatch
    from baton.platform.request_context import Actor, acting_as
    from baton.platform.tenancy import provider_context
    from baton.procurement.orders import release

    app = _app(tmp, "web", settings)
    # As a gunicorn worker does once its app is built (infra/gunicorn.conf.py).
    freeze_startup_heap()
    provider, client = world.orgs["north"], world.orgs["acme"]
    commits: dict[str, float] = {}
    phases: dict[str, list[float]] = {"release": [], "commit": [], "dispatch": []}
    profiler = cProfile.Profile() if profile else None
    with app.app_context(), acting_as(Actor("user", None, "bench buyer")):
        sender = app.config["BATON_SETTINGS"].mail_from
        if profiler:
            profiler.enable()
        first = time.time()
        for po_id in po_ids:
            t0 = time.perf_counter()
            session = db.new_session()
            set_context(session, provider_context(provider, {client}))
            release.release(session, provider, po_id)
            ids = session.info.pop("outbox_ids")
            t1 = time.perf_counter()
            session.commit()
            session.close()
            commits[mail.message_id(f"po:{po_id}:rev:0:released", sender)] = time.time()
            t2 = time.perf_counter()
            dispatch(ids)
            t3 = time.perf_counter()
            for name, spent in zip(phases, (t1 - t0, t2 - t1, t3 - t2), strict=True):
                phases[name].append(spent)
        last = time.time()
        if profiler:
            profiler.disable()
    app.extensions["baton.db"].dispose()
    print(
        "per release request, median: "
        + ", ".join(f"{k} {percentile(v, 0.5) * 1000:.1f} ms" for k, v in phases.items())
    )
    if profiler:
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)
        profiler.dump_stats(tmp.parent / "po_release.prof")
        print(f"profile kept in {tmp.parent / 'po_release.prof'} (python -m pstats)")
    return commits, first, last


def _cpu_of(pid: int) -> float:
    """User and system seconds of a process and its waited-for children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def cpu_by_role(roles: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds so far of each process the run started, PostgreSQL's all together
    (its exited backends are counted in the postmaster's children's times)."""
    found = {role: sum(_cpu_of(pid) for pid in pids) for role, pids in roles.items()}
    postgres = [
        int(d.name)
        for d in Path("/proc").iterdir()
        if d.name.isdigit() and (d / "comm").exists() and _comm(d) == "postgres"
    ]
    found["PostgreSQL"] = sum(_cpu_of(pid) for pid in postgres)
    times = os.times()
    found["this process (release requests)"] = times.user + times.system
    return found


def _comm(proc: Path) -> str:
    try:
        return (proc / "comm").read_text().strip()
    except OSError:
        return ""


def report_cpu(before: dict[str, float], after: dict[str, float], orders: int) -> None:
    spent = {role: after[role] - before.get(role, 0.0) for role in after}
    total = sum(spent.values())
    print(f"CPU from the first release to the last email: {total:.1f} s on {os.cpu_count()} CPUs")
    for role, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {role}: {seconds:.1f} s, {seconds / orders * 1000:.0f} ms per order")


def report_jobs(redis_url: str) -> None:
    """Each job kind's run time in the workers, from RQ's finished jobs."""
    from redis import Redis
    from rq import Queue
    from rq.job import Job

    connection = Redis.from_url(redis_url)
    runs: dict[str, list[float]] = {}
    for name in ("high", "default", "low"):
        ids = Queue(name, connection=connection).finished_job_registry.get_job_ids()
        for job in Job.fetch_many(ids, connection=connection):
            if job and job.started_at and job.ended_at:
                kind = (job.meta or {}).get("job", "(a scheduled run)")
                runs.setdefault(kind, []).append((job.ended_at - job.started_at).total_seconds())
    for kind, spent in sorted(runs.items()):
        print(
            f"job {kind}: {len(spent)} runs, p50 {percentile(spent, 0.5) * 1000:.0f} ms, "
            f"p95 {percentile(spent, 0.95) * 1000:.0f} ms, sum {sum(spent):.1f} s"
        )


def report(args, commits, first: float, last: float, seen: dict, received: int) -> None:
    delays = [seen[m][1] - t for m, t in commits.items() if m in seen]
    done = max((when for _, when in seen.values()), default=first)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end")
    print(f"orders released: {len(commits)} of 5 lines, workers: {args.workers}")
    print(f"release requests: {len(commits) / (last - first):.0f}/s ({last - first:.1f} s)")
    print(f"emails accepted: {len(delays)} (SMTP messages received {received})")
    assert received == len(seen), f"{received - len(seen)} email(s) arrived twice"
    assert all(pdf for pdf, _ in seen.values()), "an email came without its PDF"
    assert len(delays) == len(commits), f"{len(commits) - len(delays)} order(s) not emailed"
    wall = done - first
    print(f"end to end: {wall:.1f} s wall, {len(delays) / wall:.1f} orders/s (target: under 60 s)")
    print(
        "delay release commit -> email accepted: "
        f"p50 {percentile(delays, 0.5):.2f} s, p95 {percentile(delays, 0.95):.2f} s, "
        f"max {max(delays):.2f} s"
    )


if __name__ == "__main__":
    main()
