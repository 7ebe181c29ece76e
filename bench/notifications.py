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
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Python puts bench/ first on the path; a bench script named like a standard
# module (bench/queue.py) would shadow it, so import from the root instead.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from tests.support.services import (  # noqa: E402
    PostgresServer,
    RedisServer,
    create_database,
    drop_database,
    free_port,
    wait_for_port,
)

SMTP_SERVER = """
import sys, time, asyncio
from aiosmtpd.controller import Controller

out = open(sys.argv[2], "a", buffering=1)


class Stamp:
    async def handle_DATA(self, server, session, envelope):
        now = time.time()
        for line in envelope.content.split(b"\\r\\n", 40):
            if line.lower().startswith(b"message-id:"):
                out.write(f"{line.split(b':', 1)[1].strip().decode()} {now}\\n")
                break
        return "250 OK"


Controller(Stamp(), hostname="127.0.0.1", port=int(sys.argv[1])).start()
while True:
    time.sleep(3600)
"""


def read_stamps(path: Path) -> tuple[dict[str, float], int]:
    """Message-ID -> first acceptance time, and how many messages arrived in all."""
    accepted: dict[str, float] = {}
    count = 0
    if path.exists():
        for line in path.read_text().splitlines():
            message_id, _, when = line.rpartition(" ")
            count += 1
            accepted.setdefault(message_id, float(when))
    return accepted, count


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
    # The SMTP server runs in its own process, so it competes with the producer
    # for CPU the way a real mail server would, not for this process's GIL.
    smtp_port, stamps = free_port(), tmp / "accepted.txt"
    smtp = subprocess.Popen(
        [sys.executable, "-c", SMTP_SERVER, str(smtp_port), str(stamps)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(smtp_port)
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
            "SMTP_PORT": str(smtp_port),
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
        while len(read_stamps(stamps)[0]) < args.count and time.monotonic() < deadline:
            time.sleep(0.5)
        report(args, commits, *read_stamps(stamps), produced_at)
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        smtp.terminate()
        smtp.wait(10)
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


def report(args, commits: dict[str, float], accepted: dict[str, float], received: int,
           produced_at: float) -> None:  # fmt: skip
    delays = [accepted[m] - t for m, t in commits.items() if m in accepted]
    missing = len(commits) - len(delays)
    first_commit = min(commits.values())
    last_accept = max(accepted.values()) if accepted else first_commit
    span = last_accept - first_commit
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end")
    print(f"notifications: {args.count}, workers: {args.workers}, "
          f"commit rate: {'burst' if not args.rate else f'{args.rate:g}/s'}")  # fmt: skip
    print(f"producer: {args.count / (produced_at - first_commit):.0f} commits/s")
    print(f"delivered: {len(delays)} (missing {missing}, SMTP messages received {received})")
    # Correctness, so a broken run does not print nonsense: every message once.
    assert received == len(accepted), f"{received - len(accepted)} message(s) arrived twice"
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
