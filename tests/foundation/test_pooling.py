"""A pooled connection never carries one tenant's context into the next unit of work."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from baton.platform.db import Database, db
from baton.platform.tasks import BackgroundTask
from baton.platform.tenancy import NO_CONTEXT, SERVICE_CONTEXT, client_context

pytestmark = pytest.mark.postgres


@pytest.fixture
def one_connection(pg_urls):
    """A Database whose pool holds exactly one physical connection."""
    url = pg_urls.app.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(url, pool_size=1, max_overflow=0, pool_timeout=5)
    database = Database()
    database.engine = database.service_engine = engine
    database.session_factory = sessionmaker(engine, expire_on_commit=False)
    database.service_session_factory = database.session_factory
    yield database
    engine.dispose()


@pytest.fixture
def tasks(pg_app, pg_world):
    with pg_app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            for key in ("acme", "globex"):
                session.add(
                    BackgroundTask(
                        id=uuid.uuid4(), tenant_id=pg_world.orgs[key], kind="test", label=key
                    )
                )
            session.commit()
        finally:
            session.close()


def _visible(session) -> tuple[int, set[str]]:
    """Raw SQL, so only row-level security decides what comes back."""
    pid = session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    labels = set(session.execute(sa.text("SELECT label FROM background_tasks")).scalars())
    return pid, labels


def test_second_tenant_on_the_same_connection_sees_only_its_rows(one_connection, pg_world, tasks):
    acme, globex = pg_world.orgs["acme"], pg_world.orgs["globex"]
    with one_connection.unit_of_work(client_context(acme)) as session:
        first_pid, first = _visible(session)
    with one_connection.unit_of_work(client_context(globex)) as session:
        second_pid, second = _visible(session)
    # Code that borrows the connection without a session sets no context at all.
    with one_connection.engine.connect() as conn:
        bare_pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        setting = conn.execute(sa.text("SELECT current_setting('baton.org_id', true)")).scalar()
        bare = set(conn.execute(sa.text("SELECT label FROM background_tasks")).scalars())
    with one_connection.unit_of_work(NO_CONTEXT) as session:
        third_pid, third = _visible(session)
    assert first_pid == second_pid == third_pid == bare_pid
    assert first == {"acme"}
    assert second == {"globex"}
    assert third == set()
    assert setting == "" and bare == set()


def test_a_failed_unit_of_work_leaves_no_context_behind(one_connection, pg_world, tasks):
    acme = pg_world.orgs["acme"]
    with pytest.raises(RuntimeError), one_connection.unit_of_work(client_context(acme)) as session:
        pid, labels = _visible(session)
        assert labels == {"acme"}
        raise RuntimeError("the request failed")
    with one_connection.unit_of_work(NO_CONTEXT) as session:
        assert _visible(session) == (pid, set())


def test_requests_of_two_tenants_on_one_pooled_connection(
    pg_urls, pg_world, tasks, monkeypatch, tmp_path_factory
):
    """The same through the app: an engine with one connection serves both requests."""
    from baton.platform import db as db_module
    from baton.platform.web import dbs
    from tests.conftest import _make_app
    from tests.support.world import login

    real = db_module.make_engine

    def single(url: str) -> sa.Engine:
        if not url.startswith("postgresql"):
            return real(url)
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        return sa.create_engine(url, pool_size=1, max_overflow=0, pool_timeout=5)

    monkeypatch.setattr(db_module, "make_engine", single)
    app = _make_app(
        tmp_path_factory, database_url=pg_urls.app, service_database_url=pg_urls.service
    )
    pids = []

    @app.get("/_test/visible")
    def visible():
        pid, labels = _visible(dbs())
        pids.append(pid)
        return {"labels": sorted(labels)}

    try:
        for key, expected in (("acme_admin", ["acme"]), ("globex_admin", ["globex"])):
            client = app.test_client()
            login(client, pg_world.email(key))
            assert client.get("/_test/visible").json == {"labels": expected}
        assert len(pids) == 2 and pids[0] == pids[1]
    finally:
        app.extensions["baton.db"].dispose()
