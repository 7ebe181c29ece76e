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
        commits, first, last = release_all(world, po_ids, tmp, settings | {"redis_url": redis.url})
        deadline = time.monotonic() + args.timeout
        while len(read_pdf_stamps(stamps)) < args.count and time.monotonic() < deadline:
            time.sleep(0.25)
        report(args, commits, first, last, read_pdf_stamps(stamps), read_stamps(stamps)[1])
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


def release_all(world, po_ids: list[uuid.UUID], tmp: Path, settings: dict):
    """Release each order as the buyer's request does; Message-ID -> commit time."""
    from baton.platform import mail
    from baton.platform.db import db, set_context
    from baton.platform.jobs import dispatch
    from baton.platform.request_context import Actor, acting_as
    from baton.platform.tenancy import provider_context
    from baton.procurement.orders import release

    app = _app(tmp, "web", settings)
    provider, client = world.orgs["north"], world.orgs["acme"]
    commits: dict[str, float] = {}
    with app.app_context(), acting_as(Actor("user", None, "bench buyer")):
        sender = app.config["BATON_SETTINGS"].mail_from
        first = time.time()
        for po_id in po_ids:
            session = db.new_session()
            set_context(session, provider_context(provider, {client}))
            release.release(session, provider, po_id)
            ids = session.info.pop("outbox_ids")
            session.commit()
            session.close()
            commits[mail.message_id(f"po:{po_id}:rev:0:released", sender)] = time.time()
            dispatch(ids)
        last = time.time()
    app.extensions["baton.db"].dispose()
    return commits, first, last


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
