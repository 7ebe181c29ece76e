"""Notifications from commit to SMTP acceptance, through the real pipeline.

Starts a throwaway PostgreSQL, Redis and an SMTP server (aiosmtpd), runs
``--workers`` real ``baton worker`` processes, and commits ``--count``
notifications the way a web request does (one transaction each, relayed to
RQ right after the commit). For each message it takes the time from that
commit to the moment the SMTP server accepted it.

    .venv/bin/python bench/notifications.py                  # 5,000, 2 workers, paced at 100/s
    .venv/bin/python bench/notifications.py --rate 0         # all at once: the backlog drains
    .venv/bin/python bench/notifications.py --count 1000 --workers 4

Prints throughput and the delay percentiles. Needs PostgreSQL and Redis
installed (as the test suite does).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402

from tests.support.services import (  # noqa: E402
    PostgresServer,
    RedisServer,
    create_database,
    drop_database,
    free_port,
)


class Stamping:
    """Records when each Message-ID was accepted."""

    def __init__(self) -> None:
        self.accepted: dict[str, float] = {}
        self.lock = threading.Lock()
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        now = time.time()
        message_id = None
        for line in envelope.content.split(b"\r\n", 40):
            if line.lower().startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip().decode()
                break
        with self.lock:
            self.count += 1
            if message_id and message_id not in self.accepted:
                self.accepted[message_id] = now
        return "250 OK"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=100.0, help="commits per second; 0 = burst")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="baton-bench-"))
    pg, redis = PostgresServer(), RedisServer()
    pg.start()
    redis.start()
    stamps = Stamping()
    import logging

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # the server's own chatter
    smtp = Controller(stamps, hostname="127.0.0.1", port=free_port())
    smtp.start()
    urls = create_database(pg.url)
    procs: list[subprocess.Popen] = []
    try:
        from baton.platform.migrate import upgrade

        upgrade(urls.owner)
        env = {
            **os.environ,
            "BATON_ENV": "bench",
            "BATON_INSTANCE_PATH": str(tmp / "instance"),
            "DATABASE_URL": urls.app,
            "SERVICE_DATABASE_URL": urls.service,
            "REDIS_URL": redis.url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp.port),
            "SMTP_STARTTLS": "0",
            "SECRET_KEY": "bench",
        }
        os.environ.update({k: env[k] for k in ("REDIS_URL", "SMTP_STARTTLS")})
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
        commits = produce(args, urls, tmp, redis.url)
        produced_at = time.time()
        deadline = time.monotonic() + args.timeout
        while len(stamps.accepted) < args.count and time.monotonic() < deadline:
            time.sleep(0.2)
        report(args, commits, stamps, produced_at)
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        smtp.stop()
        drop_database(pg.url, urls.name)
        redis.stop()
        pg.stop()


def produce(args, urls, tmp: Path, redis_url: str) -> dict[str, float]:
    """Commit notifications like web requests do; returns Message-ID -> commit time."""
    from baton.platform import mail
    from baton.platform.app import create_app
    from baton.platform.db import db
    from baton.platform.jobs import dispatch
    from baton.platform.notify import notify
    from baton.platform.request_context import SYSTEM, acting_as
    from baton.platform.tenancy import SERVICE_CONTEXT, client_context
    from baton.tenants import services

    app = create_app(
        {
            "instance_path": tmp / "web",
            "database_url": urls.app,
            "service_database_url": urls.service,
            "redis_url": redis_url,
        }
    )
    commits: dict[str, float] = {}
    run = uuid.uuid4().hex[:8]
    with app.app_context(), acting_as(SYSTEM):
        setup = db.new_service_session(SERVICE_CONTEXT)
        org = services.create_organisation(setup, name=f"Bench {run}", kind="client", code="BNCH")
        setup.commit()
        setup.close()
        sender = app.config["BATON_SETTINGS"].mail_from
        start = time.monotonic()
        for i in range(args.count):
            if args.rate:
                wait = start + i / args.rate - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            session = db.new_session(client_context(org.id))
            address = f"buyer{i}@example.com"
            key = f"bench:{run}:{i}"
            notify(
                session,
                key=key,
                subject=f"Purchase order BNCH-{i:06d} was acknowledged",
                lines=["The supplier acknowledged every line.", "Promised dates are on the PO."],
                action=("Open the purchase order", f"https://baton.example/po/{i}"),
                to=[address],
                tenant_id=org.id,
            )
            ids = session.info.pop("outbox_ids")
            session.commit()
            commits[mail.message_id(f"{key}:{address}", sender)] = time.time()
            session.close()
            dispatch(ids)  # what the web does right after its commit
    app.extensions["baton.db"].dispose()
    return commits


def report(args, commits: dict[str, float], stamps: Stamping, produced_at: float) -> None:
    delays = [stamps.accepted[m] - t for m, t in commits.items() if m in stamps.accepted]
    missing = len(commits) - len(delays)
    first_commit = min(commits.values())
    last_accept = max(stamps.accepted.values()) if stamps.accepted else first_commit
    span = last_accept - first_commit
    print(f"notifications: {args.count}, workers: {args.workers}, "
          f"commit rate: {'burst' if not args.rate else f'{args.rate:g}/s'}")  # fmt: skip
    print(f"producer: {args.count / (produced_at - first_commit):.0f} commits/s")
    print(f"delivered: {len(delays)} (missing {missing}, SMTP messages received {stamps.count})")
    if delays:
        print(f"throughput: {len(delays) / span:.0f} messages/s over {span:.1f} s")
        print(
            "delay commit -> SMTP acceptance: "
            f"p50 {percentile(delays, 0.50):.3f} s, p95 {percentile(delays, 0.95):.3f} s, "
            f"p99 {percentile(delays, 0.99):.3f} s, max {max(delays):.3f} s, "
            f"mean {statistics.fmean(delays):.3f} s"
        )


if __name__ == "__main__":
    main()
