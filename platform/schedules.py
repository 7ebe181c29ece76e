"""Periodic jobs, declared as data: the base layer's here, an area's in its
``area.py`` (``Area.schedules``); ``all_schedules()`` is the one list.

RQ's cron scheduler (run inside ``baton worker``) fires each schedule on its
cron expression; firing emits an outbox row, so a scheduled run is retried,
logged and shown on failure like any other job. Every run has a dedup key,
so two schedulers firing the same slot make one row.

A schedule with ``local_hour`` runs "each morning" in every organisation's
own time zone (``Organisation.timezone``): it is checked every quarter hour
and emits one row per organisation whose local time has reached the hour,
once per local day. Up to ``catch_up_hours`` late is still today's run (a
worker that was down at 07:00, or the hour a DST change skips).

Cron fields are read in the worker's local time zone (RQ's rule); the
Procfile and systemd units run workers with TZ=UTC.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from sqlalchemy.orm import Session

from baton.platform.outbox import OutboxMessage, emit

QUARTER_HOURLY = "*/15 * * * *"


@dataclass(frozen=True)
class Schedule:
    name: str
    job: str
    description: str
    cron: str | None = None
    local_hour: int | None = None
    catch_up_hours: int = 3
    kinds: tuple[str, ...] = ("client", "provider")
    queue: str = "low"

    def __post_init__(self) -> None:
        if (self.cron is None) == (self.local_hour is None):
            raise ValueError(f"schedule {self.name}: give either cron or local_hour")

    @property
    def cron_expression(self) -> str:
        return self.cron or QUARTER_HOURLY


SCHEDULES: tuple[Schedule, ...] = (
    Schedule(
        name="audit-verify-nightly",
        job="platform.verify_audit_chains",
        cron="30 2 * * *",
        description="Verify every audit hash chain at 02:30; email operators on a break.",
    ),
    Schedule(
        name="failed-jobs-digest",
        job="platform.failed_jobs_digest",
        local_hour=7,
        description="At 07:00 in each organisation's time zone, email its admins the jobs"
        " that failed in the last day (if any).",
    ),
)


def all_schedules() -> tuple[Schedule, ...]:
    """The base layer's schedules and those the areas declare (``Area.schedules``)."""
    from baton.platform.areas import areas, resolve

    found = list(SCHEDULES)
    for area in areas():
        for ref in area.schedules:
            found.extend(resolve(ref))
    return tuple(found)


def by_name(name: str) -> Schedule:
    for schedule in all_schedules():
        if schedule.name == name:
            return schedule
    raise KeyError(f"no schedule named {name!r}")


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def is_due_locally(schedule: Schedule, timezone: str | None, now: datetime) -> str | None:
    """The organisation's local date when its morning run is due at ``now``, else None."""
    local = now.astimezone(zone(timezone))
    start = local.replace(hour=schedule.local_hour, minute=0, second=0, microsecond=0)
    # Same-zone datetimes compare by wall clock, so on the night a DST change
    # skips the hour the run is simply due at the first local time after it.
    if start <= local < start + timedelta(hours=schedule.catch_up_hours):
        return local.date().isoformat()
    return None


def latest_slot(schedule: Schedule, now: datetime) -> datetime:
    """The cron time this firing stands for (the latest one not after ``now``)."""
    local_now = now.astimezone()
    return croniter(schedule.cron, local_now + timedelta(seconds=1)).get_prev(datetime)


def _key(*parts: str) -> str:
    text = "schedule:" + ":".join(parts)
    return text if len(text) <= 200 else "schedule:" + hashlib.sha256(text.encode()).hexdigest()


def fire(session: Session, schedule: Schedule, now: datetime | None = None) -> list[OutboxMessage]:
    """Emit the rows this schedule is due for at ``now`` (in the caller's transaction)."""
    now = now or datetime.now(UTC)
    if schedule.local_hour is None:
        slot = latest_slot(schedule, now).astimezone(UTC).isoformat()
        return [
            emit(
                session,
                schedule.job,
                {"schedule": schedule.name, "slot": slot},
                dedup_key=_key(schedule.name, slot),
            )
        ]
    from baton.platform.directory import directory

    rows = []
    orgs = [(o.id, o.timezone) for o in directory().active_organisations(session, schedule.kinds)]
    for org_id, timezone in orgs:
        local_date = is_due_locally(schedule, timezone, now)
        if local_date is None:
            continue
        rows.append(
            emit(
                session,
                schedule.job,
                {"schedule": schedule.name, "tenant_id": str(org_id), "local_date": local_date},
                tenant_id=org_id,
                dedup_key=_key(schedule.name, str(org_id), local_date),
            )
        )
    return rows
