"""Faults, with real processes: RQ workers (``baton worker``), relays, Redis,
PostgreSQL and an SMTP server. Each test shows that nothing is lost and
nothing is sent twice, counting messages at the SMTP server.

Select them with ``pytest -m faults``.
"""

from __future__ import annotations

import time
import uuid

import pytest
import sqlalchemy as sa
from redis import Redis

from baton.platform.db import db
from baton.platform.migrate import upgrade
from baton.platform.outbox import DONE, ENQUEUED, FAILED, PENDING, OutboxMessage, SentMail, emit
from baton.platform.tenancy import SERVICE_CONTEXT
from tests.jobs.conftest import events_of, make_app, outbox_rows, wait_for, worker_env
from tests.jobs.smtp import SMTPServer
from tests.support.services import (
    PostgresServer,
    RedisServer,
    create_database,
    drop_database,
    free_port,
)
from tests.support.world import login, make_world

pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgres,
    pytest.mark.redis,
    # The web process enqueues too, so it needs the workers' short retry pauses.
    pytest.mark.usefixtures("fast_retries"),
]


def redis_db(url: str, index: int) -> str:
    """A Redis database of the test's own, emptied first."""
    own = url.rsplit("/", 1)[0] + f"/{index}"
    Redis.from_url(own).flushdb()
    return own


def invite(client, email: str) -> None:
    response = client.post("/organisation/members/invite", data={"email": email, "role": "viewer"})
    assert response.status_code == 302, response.text[:300]


def invitation_row(app, email: str) -> OutboxMessage | None:
    from baton.tenants.models import Invitation

    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            return session.scalar(
                sa.select(OutboxMessage)
                .join(Invitation, OutboxMessage.entity_id == sa.cast(Invitation.id, sa.String))
                .where(Invitation.email == email)
            )
        finally:
            session.close()


def done_row(app, email: str):
    row = invitation_row(app, email)
    return row if row is not None and row.status == DONE else None


def ledger_status(app, outbox_id: uuid.UUID) -> str | None:
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            return session.scalar(sa.select(SentMail.status).where(SentMail.outbox_id == outbox_id))
        finally:
            session.close()


@pytest.fixture
def web(jobs_urls, tmp_path):
    """A web app on the jobs database; ``web.make(redis_url)`` builds it."""
    apps = []

    class Web:
        def make(self, redis_url: str, urls=jobs_urls):
            app = make_app(urls, tmp_path / f"web{len(apps)}", redis_url=redis_url)
            apps.append(app)
            return app

    yield Web()
    for app in apps:
        app.extensions["baton.db"].dispose()


def admin_client(app, world):
    client = app.test_client()
    login(client, world.email("acme_admin"))
    return client


@pytest.mark.parametrize(
    "stop_at",
    [
        pytest.param("data", id="after-the-server-has-the-message"),
        pytest.param("rcpt", id="before-the-server-has-the-message"),
    ],
)
def test_a_worker_killed_mid_mail_delivers_it_exactly_once(
    jobs_urls, redis_url, tmp_path, processes, web, stop_at
):
    url = redis_db(redis_url, 1 if stop_at == "data" else 2)
    smtp = SMTPServer().start()
    smtp.recorder.block_at = stop_at
    try:
        env = worker_env(jobs_urls, url, smtp.port, tmp_path / "worker")
        app = web.make(url)
        world = make_world(app)
        first = processes.start(env, "worker")
        invitee = f"killed.{world.suffix}@example.com"

        invite(admin_client(app, world), invitee)
        wait_for(smtp.recorder.entered.is_set, what="the worker to be mid-conversation")
        processes.kill(first)
        smtp.recorder.release.set()  # the server finishes what it had, as a real one would

        second = processes.start(env, "worker")
        row = wait_for(lambda: done_row(app, invitee), what="the invitation to be done")
    finally:
        smtp.stop()

    assert smtp.recorder.count(to=invitee) == 1
    # The killed attempt counts: one attempt that died, one that finished.
    assert row.attempts == 2
    assert ledger_status(app, row.id) == ("unconfirmed" if stop_at == "data" else "sent")
    # Admins see a message that went out without the server's reply being seen.
    page = admin_client(app, world).get("/organisation/jobs").text
    assert (invitee in page) == (stop_at == "data")
    # The worker logs job_done just after its commit: wait for the line, not the row.
    (done,) = wait_for(
        lambda: events_of(processes, second, "job_done", outbox_id=str(row.id)),
        what="the job_done event",
    )
    assert {
        "tenant_id": str(world.orgs["acme"]),
        "outcome": "done",
        "job": "tenants.send_invitation",
    }.items() <= done.items()


def test_with_redis_stopped_requests_succeed_and_every_message_goes_out_once_after(
    jobs_urls, tmp_path, processes, web, smtp
):
    redis = RedisServer()
    redis.start()
    try:
        env = worker_env(jobs_urls, redis.url, smtp.port, tmp_path / "worker")
        app = web.make(redis.url)
        world = make_world(app)
        worker = processes.start(env, "worker")
        admin = admin_client(app, world)
        before = f"before.{world.suffix}@example.com"
        invite(admin, before)
        wait_for(lambda: done_row(app, before), what="the first invitation")

        redis.stop()
        during = [f"during{i}.{world.suffix}@example.com" for i in range(3)]
        for address in during:
            invite(admin, address)  # the request succeeds without Redis
        assert [invitation_row(app, a).status for a in during] == [PENDING] * 3

        back = RedisServer()
        back.port = redis.port
        back.start()  # empty, as after a restart without persistence
        redis = back
        for address in during:
            wait_for(lambda a=address: done_row(app, a), what=f"the invitation to {address}")
        assert worker.poll() is None, "the worker had to be restarted"
    finally:
        redis.stop()
    for address in [before, *during]:
        assert smtp.recorder.count(to=address) == 1, address


def test_a_job_whose_redis_job_vanished_is_enqueued_again(
    jobs_urls, redis_url, tmp_path, processes, web, smtp, monkeypatch
):
    url = redis_db(redis_url, 3)
    app = web.make(url)
    world = make_world(app)
    invitee = f"vanished.{world.suffix}@example.com"
    invite(admin_client(app, world), invitee)  # relayed to Redis right after the commit
    assert invitation_row(app, invitee).status == ENQUEUED

    Redis.from_url(url).flushdb()  # Redis restarted without persistence
    from baton.workers.relay import recover_stale

    with app.app_context():
        # Not stale yet (a queue may simply be long): a grace period no slow
        # machine can outlast, rather than fast_retries' two seconds.
        monkeypatch.setenv("BATON_RELAY_STALE_AFTER", "3600")
        assert recover_stale() == 0
        monkeypatch.setenv("BATON_RELAY_STALE_AFTER", "0")
        assert recover_stale() >= 1
    env = worker_env(jobs_urls, url, smtp.port, tmp_path / "worker")
    burst = processes.start(env, "worker", "--burst")
    assert burst.wait(60) == 0, processes.log_of(burst)[-2000:]
    assert done_row(app, invitee) is not None
    assert smtp.recorder.count(to=invitee) == 1


def test_smtp_refusing_connections_fails_visibly_and_a_retry_sends_once(
    jobs_urls, redis_url, tmp_path, processes, web
):
    url = redis_db(redis_url, 4)
    port = free_port()  # nothing listens: connections are refused
    env = worker_env(jobs_urls, url, port, tmp_path / "worker")
    app = web.make(url)
    world = make_world(app)
    worker = processes.start(env, "worker")
    admin = admin_client(app, world)
    invitee = f"refused.{world.suffix}@example.com"
    invite(admin, invitee)

    failed = wait_for(
        lambda: (r := invitation_row(app, invitee)) is not None and r.status == FAILED and r,
        what="the job to fail",
    )
    assert failed.attempts == 5 and "Connection refused" in failed.last_error

    def failures():
        found = events_of(processes, worker, "job_failed", outbox_id=str(failed.id))
        return found if found and found[-1]["outcome"] == "failed" else None

    # The last job_failed line follows the row's commit: wait for it.
    failures = wait_for(failures, what="the final job_failed event")
    assert [e["outcome"] for e in failures] == ["retrying"] * 4 + ["failed"]

    page = admin.get("/organisation/jobs").text
    assert "Invitation email" in page and "Connection refused" in page and str(failed.id) in page

    smtp = SMTPServer(port=port).start()
    try:
        assert admin.post(f"/organisation/jobs/{failed.id}/retry").status_code == 302
        wait_for(lambda: done_row(app, invitee), what="the retried job")
    finally:
        smtp.stop()
    assert smtp.recorder.count(to=invitee) == 1
    assert str(failed.id) not in admin.get("/organisation/jobs").text


def test_workers_recover_from_a_postgresql_restart_by_themselves(
    redis_url, tmp_path, processes, web
):
    server = PostgresServer()
    server.start()
    urls = create_database(server.url)
    upgrade(urls.owner)
    smtp = SMTPServer().start()
    smtp.recorder.block_at = "rcpt"
    try:
        url = redis_db(redis_url, 5)
        env = worker_env(urls, url, smtp.port, tmp_path / "worker")
        app = web.make(url, urls)
        world = make_world(app)
        worker = processes.start(env, "worker")
        admin = admin_client(app, world)
        during = f"during.{world.suffix}@example.com"
        invite(admin, during)
        wait_for(smtp.recorder.entered.is_set, what="the worker to be mid-job")

        server.pg_ctl("restart")  # the worker's connections and its row lock are gone
        smtp.recorder.release.set()
        after = f"after.{world.suffix}@example.com"
        invite(admin, after)

        for address in (during, after):
            wait_for(lambda a=address: done_row(app, a), timeout=60, what=f"mail to {address}")
        assert worker.poll() is None, "the worker had to be restarted"
    finally:
        smtp.stop()
        web_apps_dispose = getattr(app, "extensions", {}).get("baton.db")
        if web_apps_dispose is not None:
            web_apps_dispose.dispose()
        processes.stop_all()
        drop_database(server.url, urls.name)
        server.stop()
    assert smtp.recorder.count(to=during) == 1
    assert smtp.recorder.count(to=after) == 1


def test_two_relays_at_once_never_enqueue_the_same_row_twice(
    jobs_urls, redis_url, tmp_path, processes, web
):
    url = redis_db(redis_url, 6)
    env = worker_env(
        jobs_urls, url, free_port(), tmp_path / "relay",
        BATON_RELAY_BATCH="20", BATON_RELAY_INTERVAL="0.02",
    )  # fmt: skip
    relays = [processes.start(env, "relay") for _ in range(2)]
    for relay in relays:
        wait_for(
            lambda r=relay: any(e.get("event") == "relay_started" for e in processes.events(r)),
            what="the relays to start",
        )
    app = web.make(url)
    ids: list[str] = []
    with app.app_context():
        for _batch in range(8):
            session = db.new_service_session(SERVICE_CONTEXT)
            try:
                for _ in range(40):
                    row = emit(
                        session, "tenants.send_invitation", {"invitation_id": str(uuid.uuid4())}
                    )
                    ids.append(str(row.id))
                session.commit()  # not dispatched: only the two relays move them
            finally:
                session.close()
            time.sleep(0.05)  # pacing: rows keep arriving while the relays poll
    wait_for(
        lambda: all(r.status == ENQUEUED for r in outbox_rows(app) if str(r.id) in set(ids)),
        what="every row to be enqueued",
    )
    for relay in relays:
        processes.stop(relay)

    mine = set(ids)
    enqueued = [
        [e["outbox_id"] for e in processes.events(r) if e.get("event") == "outbox_enqueued"]
        for r in relays
    ]
    duplicates = [
        e for r in relays for e in processes.events(r) if e.get("event") == "outbox_already_queued"
    ]
    together = [i for per_relay in enqueued for i in per_relay if i in mine]
    assert sorted(together) == sorted(ids)  # every row once, by one relay or the other
    assert not duplicates
    queued = [j.decode() for j in Redis.from_url(url).lrange("rq:queue:high", 0, -1)]
    assert sorted(j for j in queued if j in mine) == sorted(ids)


def test_two_relay_passes_in_flight_claim_disjoint_rows(jobs_urls, redis_url, tmp_path, web):
    """The mechanism, step by step: while one relay holds its claimed rows (not
    yet committed), a second relay skips them instead of taking them too."""
    from baton.platform.jobs import claim_pending, mark_enqueued
    from baton.workers.relay import enqueue_row

    url = redis_db(redis_url, 8)
    app = web.make(url)
    connection = Redis.from_url(url)
    with app.app_context():
        setup = db.new_service_session(SERVICE_CONTEXT)
        rows = [
            emit(setup, "tenants.send_invitation", {"invitation_id": str(uuid.uuid4())})
            for _ in range(30)
        ]
        setup.commit()
        ids = {r.id for r in rows}
        setup.close()
        first, second = (db.new_service_session(SERVICE_CONTEXT) for _ in range(2))
        try:
            taken_first = claim_pending(first, 20, ids=list(ids))
            taken_second = claim_pending(second, 500, ids=list(ids))
            assert len(taken_first) == 20 and len(taken_second) == 10
            assert not {r.id for r in taken_first} & {r.id for r in taken_second}
            for session, taken in ((second, taken_second), (first, taken_first)):
                for row in taken:
                    assert enqueue_row(connection, row) == "enqueued"
                    mark_enqueued(session, row)
                session.commit()
            third = db.new_service_session(SERVICE_CONTEXT)
            assert claim_pending(third, 500, ids=list(ids)) == []
            third.close()
        finally:
            first.close()
            second.close()
    queued = [j.decode() for j in connection.lrange("rq:queue:high", 0, -1)]
    assert sorted(queued) == sorted(str(i) for i in ids)


def test_the_relay_backs_off_while_redis_is_down_then_carries_on(jobs_urls, tmp_path, web, caplog):
    import threading

    from baton.workers.relay import RelayLoop

    port = free_port()
    app = web.make(f"redis://127.0.0.1:{port}/0")
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        row = emit(session, "tenants.send_invitation", {"invitation_id": str(uuid.uuid4())})
        session.commit()
        session.close()

    # The app's logging setup replaced the root handlers; listen again.
    import logging

    logging.getLogger().addHandler(caplog.handler)
    loop = RelayLoop(interval=0.05)

    def run():
        with app.app_context():
            loop.run()

    def events(name):
        return [
            r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == name
        ]

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    redis = RedisServer()
    try:
        wait_for(lambda: len(events("relay_unavailable")) >= 3, what="failed relay passes")
        waits = [e["retry_in"] for e in events("relay_unavailable")[:3]]
        assert waits == sorted(waits) and waits[0] < waits[2]  # it backs off
        assert outbox_rows(app, id=row.id)[0].status == PENDING  # the outbox keeps the work

        redis.port = port
        redis.start()
        wait_for(lambda: outbox_rows(app, id=row.id)[0].status == ENQUEUED, what="the relay")
        # The pass logs relay_recovered once it is over, after the row's commit.
        wait_for(lambda: events("relay_recovered"), what="the relay_recovered event")
    finally:
        loop.stop.set()
        thread.join(10)
        redis.stop()
        logging.getLogger().removeHandler(caplog.handler)
