"""Fixtures for background-work tests: their own database, SMTP servers,
and real ``baton worker`` / ``baton relay`` processes.

The fault tests (marked ``faults``; ``pytest -m faults``) run workers as
separate processes against a database of their own, so what they kill or
leave behind never meets another test's rows.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from baton.platform.db import db
from baton.platform.outbox import OutboxMessage
from baton.platform.tenancy import SERVICE_CONTEXT
from tests.jobs.smtp import SMTPServer
from tests.support.services import DatabaseUrls, create_database, drop_database

BATON = str(Path(sys.executable).with_name("baton"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "faults: kills and restarts workers, Redis, PostgreSQL, SMTP (tests/jobs)"
    )


@pytest.fixture(scope="session")
def jobs_template(pg_admin_url) -> Iterator[str]:
    """A migrated database, never connected to, that each test copies."""
    from baton.platform.migrate import upgrade

    urls = create_database(pg_admin_url)
    upgrade(urls.owner)
    yield urls.name
    drop_database(pg_admin_url, urls.name)


@pytest.fixture
def jobs_urls(pg_admin_url, jobs_template) -> Iterator[DatabaseUrls]:
    """A database of the test's own: the relays and workers it starts see its
    outbox rows and nothing another test left, whatever the order."""
    urls = create_database(pg_admin_url, template=jobs_template)
    yield urls
    drop_database(pg_admin_url, urls.name)


@pytest.fixture(autouse=True)
def _no_remembered_redis_outage():
    """relay_after_commit skips a Redis URL for a few seconds after it failed;
    that memory is per process, so a port reused by a later test starts clean."""
    from baton.workers import relay

    relay._redis_down_until.clear()
    yield
    relay._redis_down_until.clear()


def make_app(urls: DatabaseUrls, instance: Path, **overrides):
    from baton.platform.app import create_app

    return create_app(
        {
            "instance_path": instance,
            "database_url": urls.app,
            "service_database_url": urls.service,
            "migration_database_url": urls.owner,
            "WTF_CSRF_ENABLED": False,
            "TESTING": True,
            "smtp_starttls": False,
            **overrides,
        }
    )


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def fast_retries(monkeypatch):
    """Short pauses between attempts, in this process and in the workers it starts."""
    monkeypatch.setenv("BATON_JOB_RETRY_INTERVALS", "1")
    monkeypatch.setenv("BATON_RELAY_STALE_AFTER", "2")
    monkeypatch.setenv("BATON_RELAY_INTERVAL", "0.2")


def worker_env(
    urls: DatabaseUrls, redis_url: str, smtp_port: int, instance: Path, **extra: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEST_")}
    env.update(
        {
            "BATON_ENV": "test",
            "BATON_INSTANCE_PATH": str(instance),
            "DATABASE_URL": urls.app,
            "SERVICE_DATABASE_URL": urls.service,
            "MIGRATION_DATABASE_URL": urls.owner,
            "REDIS_URL": redis_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "SMTP_STARTTLS": "0",
            "SECRET_KEY": "jobs-tests",
            "BATON_JOB_RETRY_INTERVALS": "1",
            "BATON_RELAY_STALE_AFTER": "2",
            "BATON_RELAY_INTERVAL": "0.2",
            "BATON_WORKER_MAINTENANCE_INTERVAL": "5",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


class Processes:
    """``baton`` subprocesses in their own process groups, so a SIGKILL takes
    the whole worker (RQ's scheduler child included), as a crash would."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.procs: list[tuple[subprocess.Popen, Path]] = []

    def start(self, env: dict[str, str], *args: str) -> subprocess.Popen:
        log = self.folder / f"{args[0]}-{len(self.procs)}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [BATON, *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append((proc, log))
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def stop_all(self) -> None:
        for proc, _log in self.procs:
            with contextlib.suppress(ProcessLookupError):
                self.stop(proc)

    def log_of(self, proc: subprocess.Popen) -> str:
        for p, log in self.procs:
            if p is proc:
                return log.read_text(errors="replace")
        return ""

    def events(self, proc: subprocess.Popen) -> list[dict]:
        """The JSON log lines of a process."""
        found = []
        for line in self.log_of(proc).splitlines():
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
        return found

    def dump(self) -> str:
        return "\n".join(
            f"--- {log.name} ---\n{log.read_text(errors='replace')[-4000:]}"
            for _p, log in self.procs
        )


@pytest.fixture
def processes(tmp_path, request) -> Iterator[Processes]:
    procs = Processes(tmp_path)
    yield procs
    procs.stop_all()
    report = getattr(request.node, "rep_call", None)
    if (report is not None and report.failed) or os.environ.get("JOBS_TEST_LOGS"):
        print(procs.dump())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report


def wait_for(check: Callable[[], object], timeout: float = 40, what: str = "condition"):
    """Poll until ``check`` returns something truthy (a deadline, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def events_of(processes: Processes, proc: subprocess.Popen, name: str, **where) -> list[dict]:
    """A process's log events called ``name`` whose fields match ``where``."""
    return [
        e
        for e in processes.events(proc)
        if e.get("event") == name and all(e.get(k) == v for k, v in where.items())
    ]


def outbox_rows(app, **where) -> list[OutboxMessage]:
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            stmt = sa.select(OutboxMessage)
            for key, value in where.items():
                stmt = stmt.where(getattr(OutboxMessage, key) == value)
            return list(session.scalars(stmt.order_by(OutboxMessage.created_at)))
        finally:
            session.close()


def outbox_row(app, outbox_id: uuid.UUID) -> OutboxMessage:
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            return session.get(OutboxMessage, outbox_id)
        finally:
            session.close()
