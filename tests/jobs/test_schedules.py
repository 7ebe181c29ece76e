"""Schedules with fixed clocks: "each morning" in every organisation's own time
zone, once per local day; and the nightly audit verification's alert."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from baton.platform.audit import AuditChainHead
from baton.platform.db import db
from baton.platform.jobs import drain_inline
from baton.platform.outbox import OutboxMessage
from baton.platform.request_context import SYSTEM, acting_as
from baton.platform.schedules import Schedule, all_schedules, by_name, fire, is_due_locally
from baton.platform.tenancy import SERVICE_CONTEXT

MORNING = Schedule(name="test-morning", job="platform.failed_jobs_digest", local_hour=7,
                   description="test")  # fmt: skip


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("timezone", "utc", "due"),
    [
        ("Europe/Paris", "2027-01-15T06:00", "2027-01-15"),  # 07:00 in winter (UTC+1)
        ("Europe/Paris", "2027-01-15T05:59", None),
        ("Europe/Paris", "2027-07-15T05:00", "2027-07-15"),  # 07:00 in summer (UTC+2)
        ("Europe/Paris", "2027-07-15T06:00", "2027-07-15"),  # an hour late still counts
        ("America/New_York", "2027-01-15T12:00", "2027-01-15"),
        ("America/New_York", "2027-01-15T07:00", None),  # 02:00 there
        ("Asia/Kolkata", "2027-01-15T01:30", "2027-01-15"),  # UTC+5:30
        ("Asia/Kolkata", "2027-01-15T01:15", None),
        ("Pacific/Auckland", "2027-01-14T18:00", "2027-01-15"),  # already tomorrow there
        ("UTC", "2027-01-15T10:00", None),  # past the catch-up window
        ("Not/AZone", "2027-01-15T07:00", "2027-01-15"),  # unknown zone: UTC
    ],
)
def test_morning_is_seven_local_time(timezone, utc, due):
    assert is_due_locally(MORNING, timezone, at(utc)) == due


def test_the_hour_a_dst_change_skips_runs_just_after_it():
    night = Schedule(name="t", job="platform.failed_jobs_digest", local_hour=2, description="")
    # 2027-03-28: Paris jumps from 02:00 to 03:00 (01:00 UTC); 02:xx never happens.
    assert is_due_locally(night, "Europe/Paris", at("2027-03-28T00:59")) is None
    assert is_due_locally(night, "Europe/Paris", at("2027-03-28T01:00")) == "2027-03-28"


def _orgs(app, zones: dict[str, str]) -> dict[str, uuid.UUID]:
    from baton.tenants import services

    suffix = uuid.uuid4().hex[:6]
    ids = {}
    with app.app_context(), acting_as(SYSTEM):
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            for key, zone in zones.items():
                org = services.create_organisation(
                    session, name=f"{key} {suffix}", kind="client", code="TZ", timezone=zone
                )
                ids[key] = org.id
            session.commit()
        finally:
            session.close()
    return ids


def _fire(app, schedule, now) -> set[uuid.UUID]:
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            rows = fire(session, schedule, now)
            ids = session.info.pop("outbox_ids", [])
            session.commit()
            return {r.tenant_id for r in rows if r.id in ids}
        finally:
            session.close()


def test_an_hourly_check_emits_one_run_per_tenant_and_local_day(app):
    orgs = _orgs(app, {"paris": "Europe/Paris", "nyc": "America/New_York", "tokyo": "Asia/Tokyo"})
    mine = set(orgs.values())

    # 06:00 UTC: 07:00 in Paris, 01:00 in New York, 15:00 in Tokyo.
    assert _fire(app, MORNING, at("2027-02-01T06:00")) & mine == {orgs["paris"]}
    # Quarter-hourly checks within Paris's window make no second run that day.
    assert _fire(app, MORNING, at("2027-02-01T06:15")) & mine == set()
    assert _fire(app, MORNING, at("2027-02-01T08:45")) & mine == set()
    # 12:00 UTC: 07:00 in New York.
    assert _fire(app, MORNING, at("2027-02-01T12:00")) & mine == {orgs["nyc"]}
    # 22:00 UTC is 07:00 the next day in Tokyo.
    assert _fire(app, MORNING, at("2027-02-01T22:00")) & mine == {orgs["tokyo"]}
    # The next morning Paris runs again.
    assert _fire(app, MORNING, at("2027-02-02T06:00")) & mine == {orgs["paris"]}


def test_a_cron_schedule_fires_once_per_slot_however_often_it_is_fired(app):
    audit = by_name("audit-verify-nightly")
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            a = fire(session, audit, at("2031-05-05T02:30"))
            b = fire(session, audit, at("2031-05-05T02:31"))
            session.commit()
        finally:
            session.close()
    assert a[0].id == b[0].id


def test_every_schedule_names_a_registered_job():
    import baton.workers.registry  # noqa: F401
    from baton.platform.jobs import registry

    for schedule in all_schedules():
        assert schedule.job in registry, schedule.name


def test_the_nightly_verification_emails_operators_about_a_broken_chain(app, world):
    from baton.tenants import services

    operator = f"ops.{world.suffix}@example.com"
    with app.app_context(), acting_as(SYSTEM):
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            services.create_user(
                session, email=operator, name="Ops", password="a-long-passphrase", operator=True
            )
            head = session.get(AuditChainHead, world.orgs["acme"])
            head.hash = "f" * 64  # as if someone rewrote the newest event
            session.commit()
            # A night of its own, so no earlier firing of the same slot is reused.
            night = at("2040-01-01T03:00") + timedelta(days=uuid.uuid4().int % 3000)
            rows = fire(session, by_name("audit-verify-nightly"), night)
            ids = session.info.pop("outbox_ids", [])
            session.commit()
        finally:
            session.close()
        assert ids == [rows[0].id]
        drain_inline(ids)
        folder = app.config["BATON_SETTINGS"].instance_path / "mail"
        alerts = [
            p.read_text()
            for p in folder.glob("*.eml")
            if f"To: {operator}" in p.read_text() and "audit chain broken" in p.read_text()
        ]
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            head = session.get(AuditChainHead, world.orgs["acme"])
            row = session.get(OutboxMessage, rows[0].id)  # this test's run, not the newest
            # Put the head back so other tests see an intact chain.
            from baton.platform.audit import AuditEvent

            last = session.scalar(
                sa.select(AuditEvent).where(AuditEvent.tenant_id == world.orgs["acme"])
                .order_by(AuditEvent.seq.desc())
            )  # fmt: skip
            head.hash = last.hash
            session.commit()
        finally:
            session.close()
    assert len(alerts) == 1
    assert f"Acme {world.suffix}" in alerts[0]
    assert row.status == "done"


@pytest.mark.redis
def test_only_one_worker_at_a_time_ticks_the_cron_scheduler(pg_app, redis_url):
    from redis import Redis

    from baton.workers.cron import LEADER_KEY, CronLeader

    connection = Redis.from_url(redis_url.rsplit("/", 1)[0] + "/9")
    connection.flushdb()
    first, second = CronLeader(connection), CronLeader(connection)
    second.identity = first.identity + "-other"
    assert first._lead() and first._lead()  # renews its own lease
    assert not second._lead()
    first.resign()
    assert second._lead()
    assert connection.get(LEADER_KEY).decode() == second.identity
    assert connection.ttl(LEADER_KEY) > 0  # a dead leader's lease runs out by itself
    names = sorted(job.name for job in second.scheduler.get_jobs())
    assert names == sorted(s.name for s in all_schedules())
    connection.flushdb()


def test_the_morning_digest_tells_admins_what_failed_yesterday(app, world):
    from baton.platform.db import utcnow
    from baton.platform.outbox import FAILED

    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            session.add(
                OutboxMessage(
                    id=uuid.uuid4(),
                    tenant_id=world.orgs["acme"],
                    job="tenants.send_invitation",
                    payload={},
                    status=FAILED,
                    attempts=5,
                    finished_at=utcnow(),
                    last_error="SMTPRecipientsRefused: 550 no such mailbox",
                    entity_type="invitation",
                    entity_id="abc",
                )
            )
            from baton.platform.outbox import emit

            row = emit(
                session,
                "platform.failed_jobs_digest",
                {"tenant_id": str(world.orgs["acme"]), "local_date": f"2040-01-{world.suffix}"},
                tenant_id=world.orgs["acme"],
            )
            session.commit()
        finally:
            session.close()
        drain_inline([row.id])
        folder = app.config["BATON_SETTINGS"].instance_path / "mail"
        digests = [
            p.read_text()
            for p in folder.glob("*.eml")
            if "background job" in p.read_text()
            and f"To: {world.email('acme_admin')}" in p.read_text()
        ]
        others = [
            p for p in folder.glob("*.eml")
            if "background job" in p.read_text()
            and f"To: {world.email('acme_sourcing')}" in p.read_text()
        ]  # fmt: skip
    assert len(digests) == 1 and "550 no such mailbox" in digests[0]
    assert "/organisation/jobs" in digests[0]
    assert others == []  # admins only
