"""``baton worker``: RQ workers on high, default, low, plus relay and cron.

One process builds the Flask app once and keeps its context pushed. Jobs run
in this process (``SimpleWorker``): no fork per job, the database pool is
reused, and a job timeout still interrupts the job (SIGALRM in the main
thread). A housekeeping thread relays the outbox and ticks the cron
scheduler, so a deployment needs nothing but workers; ``baton relay`` exists
for those who want the relay on its own.

The process rides out outages by itself: Redis errors restart the RQ loop
after a backoff (RQ's own loop quits on some of them), and PostgreSQL errors
fail an attempt, which its ``Retry`` runs again later; pooled connections are
checked before use, so a restarted database is reconnected on the next job.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Sequence

import redis
import structlog
from flask import Flask
from rq import Queue, SimpleWorker
from rq.exceptions import StopRequested

from baton.platform.heap import freeze_startup_heap
from baton.platform.queues import QUEUE_NAMES

log = structlog.get_logger("baton.worker")


class BatonWorker(SimpleWorker):
    """Runs each job in this process, inside the app built once at start."""


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


class Housekeeper(threading.Thread):
    """Relay passes and cron ticks beside the RQ loop, with their own backoff."""

    def __init__(self, app: Flask, relay: bool, cron: bool, interval: float) -> None:
        super().__init__(name="baton-housekeeper", daemon=True)
        self.app = app
        self.relay = relay
        self.cron = cron
        self.interval = interval
        self.stop = threading.Event()

    def run(self) -> None:
        from baton.platform.queues import redis_connection
        from baton.workers.cron import CronLeader
        from baton.workers.relay import RelayLoop

        with self.app.app_context():
            url = self.app.config["BATON_SETTINGS"].redis_url
            leader = CronLeader(redis_connection(url)) if self.cron else None
            loop = RelayLoop(self.interval) if self.relay else _CronOnlyLoop(self.interval)
            loop.stop = self.stop
            loop.run(extra=leader.tick if leader else None)
            if leader is not None:
                leader.resign()


class _CronOnlyLoop:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.stop = threading.Event()

    def run(self, extra=None) -> None:
        while not self.stop.is_set():
            if extra is not None:
                try:
                    extra()
                except Exception as exc:
                    log.warning("cron_unavailable", error=str(exc)[:300])
            self.stop.wait(self.interval)


def _worker_connection(url: str) -> redis.Redis:
    # Its own client: RQ adjusts the socket timeout of the connection it is given.
    return redis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=15)


def run_worker(
    app: Flask,
    queues: Sequence[str] = QUEUE_NAMES,
    *,
    burst: bool = False,
    relay: bool = True,
    cron: bool = True,
) -> None:
    """Work until SIGTERM/SIGINT (or, with ``burst``, until nothing is left)."""
    ctx = app.app_context()
    ctx.push()
    import baton.workers.registry  # noqa: F401

    freeze_startup_heap()

    settings = app.config["BATON_SETTINGS"]
    if not settings.redis_url:
        try:
            run_embedded(app, burst=burst, cron=cron)
        finally:
            ctx.pop()
        return
    stop = threading.Event()
    interval = _env_float("BATON_RELAY_INTERVAL", 1.0)
    # Baton logs every job (job_done / job_failed with job id, tenant and outcome);
    # RQ's own per-job lines would only repeat them.
    rq_level = os.environ.get("BATON_RQ_LOG_LEVEL", "WARNING").upper()
    house = Housekeeper(app, relay=relay, cron=cron and not burst, interval=interval)
    if not burst:
        house.start()
    backoff = 1.0
    try:
        while not stop.is_set():
            worker = None
            started = time.monotonic()
            try:
                if burst and relay:
                    _relay_pass()
                connection = _worker_connection(settings.redis_url)
                worker = BatonWorker(
                    [Queue(name, connection=connection) for name in queues],
                    connection=connection,
                    maintenance_interval=int(_env_float("BATON_WORKER_MAINTENANCE_INTERVAL", 60)),
                )
                worked = worker.work(burst=burst, with_scheduler=True, logging_level=rq_level)
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
                log.warning("worker_redis_unavailable", error=str(exc)[:300], retry_in=backoff)
            except StopRequested:
                break
            except Exception as exc:  # a bug or an outage RQ did not expect: start over
                log.exception("worker_error", error=str(exc)[:300], retry_in=backoff)
            else:
                if worker._shutdown_requested_date is not None or worker._stop_requested:
                    break
                if burst:
                    if not worked and not (relay and _relay_pass()):
                        break
                    continue
                log.warning("worker_loop_ended", retry_in=backoff)
            if worker is not None and worker._shutdown_requested_date is not None:
                break
            if time.monotonic() - started > 60:
                backoff = 1.0  # it ran fine for a while: this is a new outage
            _install_stop_handlers(stop)
            stop.wait(backoff)
            backoff = min(backoff * 2, 30.0)
    finally:
        house.stop.set()
        if house.is_alive():
            house.join(timeout=10)
        ctx.pop()


def _relay_pass() -> int:
    from baton.workers.relay import recover_stale, relay_once

    try:
        return relay_once() + recover_stale()
    except Exception as exc:
        log.warning("relay_unavailable", error=str(exc)[:300])
        return 0


def _install_stop_handlers(stop: threading.Event) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())


def run_embedded(app: Flask, *, burst: bool = False, cron: bool = True) -> None:
    """No Redis: run due outbox rows (and schedules) in this process."""
    from baton.platform.jobs import drain_inline
    from baton.workers.cron import EmbeddedCron

    stop = threading.Event()
    _install_stop_handlers(stop)
    ticker = EmbeddedCron() if cron and not burst else None
    interval = _env_float("BATON_RELAY_INTERVAL", 1.0)
    log.info("worker_embedded", note="no REDIS_URL: jobs run in this process")
    while not stop.is_set():
        try:
            ran = drain_inline()
            if ticker is not None:
                ticker.tick()
        except Exception as exc:
            ran = 0
            log.warning("worker_embedded_error", error=str(exc)[:300])
        if burst and not ran:
            return
        stop.wait(interval)
