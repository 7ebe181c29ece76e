"""Fixtures: real PostgreSQL and Redis (started here unless given), and the
embedded SQLite mode, each behind a Flask app built by the real factory."""

from __future__ import annotations

import os

import pytest

from tests.support.services import PostgresServer, RedisServer, create_database, drop_database
from tests.support.world import make_world

os.environ.setdefault("BATON_ENV", "test")


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing():
    """argon2id at its lowest cost: every world hashes ten passwords, and at the
    production cost that alone took over a second per test."""
    from argon2 import PasswordHasher

    from baton.platform import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    patch = pytest.MonkeyPatch()
    patch.setattr(passwords, "_hasher", cheap)
    patch.setattr(passwords, "_DUMMY", cheap.hash("not-a-real-password"))
    yield
    patch.undo()


@pytest.fixture(scope="session")
def pg_admin_url():
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        yield given
        return
    server = PostgresServer()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url():
    given = os.environ.get("TEST_REDIS_URL")
    if given:
        yield given
        return
    server = RedisServer()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_urls(pg_admin_url):
    from baton.platform.migrate import upgrade

    urls = create_database(pg_admin_url)
    upgrade(urls.owner)
    yield urls
    drop_database(pg_admin_url, urls.name)


def _make_app(tmp_path_factory, **overrides):
    from baton.platform.app import create_app

    instance = tmp_path_factory.mktemp("instance")
    base = {"instance_path": instance, "WTF_CSRF_ENABLED": False, "TESTING": True}
    base.update(overrides)
    return create_app(base)


@pytest.fixture(scope="session")
def pg_app(pg_urls, tmp_path_factory):
    return _make_app(
        tmp_path_factory,
        database_url=pg_urls.app,
        service_database_url=pg_urls.service,
        migration_database_url=pg_urls.owner,
    )


@pytest.fixture(scope="session")
def sqlite_app(tmp_path_factory):
    from baton.platform.migrate import upgrade

    folder = tmp_path_factory.mktemp("sqlite")
    url = f"sqlite:///{folder / 'baton.sqlite3'}"
    upgrade(url)
    return _make_app(
        tmp_path_factory, database_url=url, service_database_url=url, migration_database_url=url
    )


@pytest.fixture(params=["postgres", "sqlite"])
def app(request):
    """Runs the test on both backends: PostgreSQL with RLS and embedded SQLite."""
    return request.getfixturevalue("pg_app" if request.param == "postgres" else "sqlite_app")


@pytest.fixture
def world(app):
    return make_world(app)


@pytest.fixture
def pg_world(pg_app):
    return make_world(pg_app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server over HTTP (tests/support/s3.py), with fake AWS credentials."""
    from tests.support.s3 import moto_s3_server

    with moto_s3_server() as server:
        yield server


@pytest.fixture(scope="session")
def pg_s3_app(pg_urls, s3_server, tmp_path_factory):
    """PostgreSQL plus the S3 document store (BATON_STORAGE=s3) on a versioned bucket."""
    return _make_app(
        tmp_path_factory,
        database_url=pg_urls.app,
        service_database_url=pg_urls.service,
        migration_database_url=pg_urls.owner,
        storage_backend="s3",
        s3_bucket=s3_server.versioned_bucket(),
        s3_endpoint_url=s3_server.endpoint_url,
        s3_region="us-east-1",
    )


@pytest.fixture(scope="session")
def stripe_server():
    """The stand-in for the Stripe API and the meter-events host, its own process
    (tests/support/stripe_standin)."""
    from tests.support.stripe_standin import stripe_standin

    with stripe_standin() as server:
        yield server


@pytest.fixture(scope="session")
def stripe_app(pg_urls, stripe_server, tmp_path_factory):
    """PostgreSQL plus Stripe (the stand-in): metering pushed, webhooks signed."""
    from tests.support.stripe_standin import API_KEY, THIN_WEBHOOK_SECRET, WEBHOOK_SECRET

    return _make_app(
        tmp_path_factory,
        database_url=pg_urls.app,
        service_database_url=pg_urls.service,
        migration_database_url=pg_urls.owner,
        BATON_STRIPE_API_KEY=API_KEY,
        BATON_STRIPE_API_BASE=stripe_server.url,
        BATON_STRIPE_METER_EVENTS_BASE=stripe_server.meter_events_url,
        BATON_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        BATON_STRIPE_THIN_WEBHOOK_SECRET=THIN_WEBHOOK_SECRET,
    )
