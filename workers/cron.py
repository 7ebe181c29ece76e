"""RQ's cron scheduler, fed from ``baton.platform.schedules``.

Every ``baton worker`` carries a scheduler, but only the one holding a short
Redis lease ticks it, so a schedule fires once however many workers run.
(Were two to fire the same slot anyway, the dedup key of the emitted row
keeps it to one run.) The embedded mode ticks the same schedules without
Redis.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime

import structlog
from redis import Redis
from rq.cron import CronJob, CronScheduler

from baton.platform import schedules
from baton.platform.db import db
from baton.platform.jobs import dispatch
from baton.platform.tenancy import SERVICE_CONTEXT

log = structlog.get_logger("baton.cron")

LEADER_KEY = "baton:cron:leader"
LEASE_SECONDS = 30

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


def fire(name: str, now: datetime | None = None) -> int:
    """Emit the rows schedule ``name`` is due for, commit, and hand them on."""
    import baton.workers.registry  # noqa: F401

    schedule = schedules.by_name(name)
    session = db.new_service_session(SERVICE_CONTEXT)
    try:
        rows = schedules.fire(session, schedule, now or datetime.now(UTC))
        ids = session.info.pop("outbox_ids", [])
        session.commit()
    finally:
        session.close()
    log.info("schedule_fired", schedule=name, rows=len(rows), new=len(ids))
    if ids:
        dispatch(ids)
    return len(ids)


def build_scheduler(connection: Redis, name: str | None = None) -> CronScheduler:
    from baton.workers.tasks import fire_schedule

    scheduler = CronScheduler(connection=connection, name=name or "")
    for schedule in schedules.all_schedules():
        scheduler.register(
            fire_schedule,
            queue_name="default",
            args=(schedule.name,),
            cron=schedule.cron_expression,
            job_timeout=300,
            result_ttl=3600,
            name=schedule.name,
        )
    return scheduler


class CronLeader:
    """Ticks the cron scheduler while this process holds the leader lease."""

    def __init__(self, connection: Redis) -> None:
        self.connection = connection
        self.identity = f"{socket.gethostname()}:{os.getpid()}"
        self.scheduler = build_scheduler(connection, f"baton-{self.identity}")
        self._renew = connection.register_script(_RENEW)
        self._born = False

    def _lead(self) -> bool:
        if self.connection.set(LEADER_KEY, self.identity, nx=True, ex=LEASE_SECONDS):
            log.info("cron_leader", identity=self.identity)
            return True
        return bool(self._renew(keys=[LEADER_KEY], args=[self.identity, LEASE_SECONDS]))

    def tick(self) -> None:
        if not self._lead():
            return
        if not self._born:
            self.scheduler.register_birth()
            self._born = True
        if self.scheduler.enqueue_jobs():
            self.scheduler.save()
        self.scheduler.heartbeat()

    def resign(self) -> None:
        try:
            if self.connection.get(LEADER_KEY) == self.identity.encode():
                self.connection.delete(LEADER_KEY)
            if self._born:
                self.scheduler.register_death()
        except Exception:  # noqa: S110 - leaving anyway; the lease expires by itself
            pass


class EmbeddedCron:
    """The same schedules without Redis: fired in this process."""

    def __init__(self) -> None:
        self.jobs = [
            CronJob(
                queue_name="default",
                func=fire,
                args=(s.name,),
                cron=s.cron_expression,
                name=s.name,
            )
            for s in schedules.all_schedules()
        ]

    def tick(self) -> None:
        for job in self.jobs:
            if job.should_run():
                job.set_enqueue_time(datetime.now(UTC))
                fire(job.args[0])
