"""PostgreSQL row-level security, checked with raw SQL as the application role.

No ORM here: the application-scoping layer must not hide a missing policy,
so every query goes straight to the database as ``baton_app``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import psycopg
import pytest
import sqlalchemy as sa

from baton.platform.db import Database, TenantIsolationError, db
from baton.platform.tasks import BackgroundTask
from baton.platform.tenancy import (
    SERVICE_CONTEXT,
    TenantContext,
    client_context,
    engaged_provider_context,
    provider_context,
)

pytestmark = pytest.mark.postgres  # the application-layer test at the end runs on SQLite too

TABLES = ("audit_events", "audit_chain_heads", "background_tasks")


@dataclass
class Tasks:
    """Background tasks of the world, keyed by '<client>/<provider or none>'."""

    ids: dict[str, uuid.UUID]

    def of(self, *keys: str) -> set[uuid.UUID]:
        return {self.ids[k] for k in keys}


@pytest.fixture
def tasks(pg_app, pg_world) -> Tasks:
    """acme: one client-only task, one of north, one of other (not engaged with acme);
    globex: one of north, one of other."""
    orgs = pg_world.orgs
    layout = {
        "acme/none": ("acme", None),
        "acme/north": ("acme", "north"),
        "acme/other": ("acme", "other"),
        "globex/north": ("globex", "north"),
        "globex/other": ("globex", "other"),
    }
    ids = {}
    with pg_app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            for key, (tenant, provider) in layout.items():
                task = BackgroundTask(
                    id=uuid.uuid4(),
                    tenant_id=orgs[tenant],
                    provider_id=orgs[provider] if provider else None,
                    kind="test",
                    label=key,
                )
                session.add(task)
                ids[key] = task.id
            session.commit()
        finally:
            session.close()
    return Tasks(ids)


def apply(conn: psycopg.Connection, ctx: TenantContext) -> None:
    """Set the context the way the app does at the start of a transaction."""
    for name, value in ctx.pg_settings().items():
        conn.execute("SELECT set_config(%s, %s, true)", (name, value))


def ids_in(conn: psycopg.Connection, table: str, column: str = "tenant_id") -> set:
    return {row[0] for row in conn.execute(f"SELECT {column} FROM {table}")}


def count_as_admin(admin_url: str, table: str, tenant_ids: list[uuid.UUID]) -> int:
    with psycopg.connect(admin_url) as conn:
        return conn.execute(
            f"SELECT count(*) FROM {table} WHERE tenant_id = ANY(%s)", (tenant_ids,)
        ).fetchone()[0]


def test_no_context_sees_no_rows(pg_urls, pg_world, tasks):
    mine = list(pg_world.orgs.values())
    for table in TABLES:
        assert count_as_admin(pg_urls.admin, table, mine) > 0, table
    with psycopg.connect(pg_urls.app) as conn:
        for table in TABLES:
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table


def test_client_context_sees_only_its_own_rows_and_cannot_write_others(pg_urls, pg_world, tasks):
    acme, globex = pg_world.orgs["acme"], pg_world.orgs["globex"]
    with psycopg.connect(pg_urls.app) as conn:
        apply(conn, client_context(acme))
        for table in TABLES:
            assert ids_in(conn, table) == {acme}, table
        assert ids_in(conn, "background_tasks", "id") == tasks.of(
            "acme/none", "acme/north", "acme/other"
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(
                "INSERT INTO background_tasks (id, created_at, tenant_id, kind, label, status,"
                " total, done, errors, result) VALUES (%s, now(), %s, 'x', 'x', 'queued', 0, 0,"
                " '[]', '{}')",
                (uuid.uuid4(), globex),
            )
    with psycopg.connect(pg_urls.app) as conn:
        apply(conn, client_context(acme))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(
                "INSERT INTO audit_chain_heads (tenant_id, seq, hash) VALUES (%s, 0, 'x')",
                (uuid.uuid4(),),
            )
    assert count_as_admin(pg_urls.admin, "background_tasks", [globex]) == 2


def test_context_ends_with_the_transaction(pg_urls, pg_world, tasks):
    with psycopg.connect(pg_urls.app) as conn:
        apply(conn, client_context(pg_world.orgs["acme"]))
        assert ids_in(conn, "audit_events") == {pg_world.orgs["acme"]}
        conn.commit()
        for name in ("baton.org_id", "baton.org_kind", "baton.tenant_ids"):
            assert conn.execute("SELECT current_setting(%s, true)", (name,)).fetchone()[0] == ""
        for table in TABLES:
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table


def test_app_role_owns_nothing_and_every_tenant_table_forces_rls(pg_urls):
    with psycopg.connect(pg_urls.admin) as conn:
        role = conn.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'baton_app'"
        ).fetchone()
        assert role == (False, False)
        owned = conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE r.rolname = 'baton_app' AND n.nspname = 'public'"
        ).fetchall()
        assert owned == []
        tables = conn.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT a.attisdropped"
        ).fetchall()
    names = {name for name, _, _ in tables}
    assert set(TABLES) <= names
    unprotected = sorted(name for name, enabled, forced in tables if not (enabled and forced))
    assert unprotected == [], f"tables with tenant_id but without forced RLS: {unprotected}"


def test_audit_events_are_append_only(pg_urls, pg_world):
    acme = pg_world.orgs["acme"]
    with psycopg.connect(pg_urls.app) as conn:
        apply(conn, client_context(acme))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute("UPDATE audit_events SET action = 'forged' WHERE tenant_id = %s", (acme,))
    with psycopg.connect(pg_urls.app) as conn:
        apply(conn, client_context(acme))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute("DELETE FROM audit_events WHERE tenant_id = %s", (acme,))
    # Nor can it drop a chain head, which would hide where the chain ended.
    with psycopg.connect(pg_urls.app) as conn:
        apply(conn, client_context(acme))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute("DELETE FROM audit_chain_heads WHERE tenant_id = %s", (acme,))
    # The owner bypasses grants but not the trigger.
    for statement in (
        "UPDATE audit_events SET action = 'forged' WHERE tenant_id = %s",
        "DELETE FROM audit_events WHERE tenant_id = %s",
    ):
        with psycopg.connect(pg_urls.owner) as conn:
            apply(conn, client_context(acme))
            assert conn.execute(
                "SELECT count(*) FROM audit_events WHERE tenant_id = %s", (acme,)
            ).fetchone()[0]
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(statement, (acme,))
    # Even a statement that matches no row (no tenant context) is refused, not a quiet 0.
    with (
        psycopg.connect(pg_urls.owner) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"),
    ):
        conn.execute("DELETE FROM audit_events WHERE tenant_id = %s", (acme,))
    with psycopg.connect(pg_urls.admin) as conn:
        actions = {
            r[0]
            for r in conn.execute("SELECT action FROM audit_events WHERE tenant_id = %s", (acme,))
        }
    assert "forged" not in actions and "organisation.created" in actions


def test_provider_sees_only_its_own_rows_of_engaged_clients(pg_urls, pg_world, tasks):
    orgs = pg_world.orgs
    # "other" is engaged by globex only; acme/other exists but must stay invisible.
    other = provider_context(orgs["other"], {orgs["globex"]})
    with psycopg.connect(pg_urls.app) as conn:
        apply(conn, other)
        assert ids_in(conn, "background_tasks", "id") == tasks.of("globex/other")
        assert ids_in(conn, "audit_events") <= {orgs["other"], orgs["globex"]}
        provider_events = conn.execute(
            "SELECT action FROM audit_events WHERE tenant_id = %s", (orgs["globex"],)
        ).fetchall()
        assert provider_events == [("engagement.created",)]
    north = provider_context(orgs["north"], {orgs["acme"], orgs["globex"]})
    with psycopg.connect(pg_urls.app) as conn:
        apply(conn, north)
        assert ids_in(conn, "background_tasks", "id") == tasks.of(
            "acme/none", "acme/north", "globex/north"
        )


def test_a_providers_engaged_set_follows_its_engagements_as_they_change(pg_urls, pg_world, tasks):
    """A provider's people name their set (``engaged``) instead of listing it:
    the set PostgreSQL reads must lose a client the moment its engagement
    ends, and win it back when it is renewed, with nobody recomputing it."""
    orgs = pg_world.orgs
    north = engaged_provider_context(orgs["north"], {orgs["acme"], orgs["globex"]})
    assert north.pg_settings()["baton.tenant_ids"] == "engaged"
    acme_north = pg_world.engagements["acme-north"]

    def visible() -> set:
        with psycopg.connect(pg_urls.app) as conn:
            apply(conn, north)
            return ids_in(conn, "background_tasks", "id")

    def set_status(status: str) -> None:
        with psycopg.connect(pg_urls.owner) as conn:
            conn.execute("UPDATE engagements SET status = %s WHERE id = %s", (status, acme_north))

    assert visible() == tasks.of("acme/none", "acme/north", "globex/north")
    set_status("ended")
    assert visible() == tasks.of("globex/north")
    set_status("active")
    assert visible() == tasks.of("acme/none", "acme/north", "globex/north")


def test_nobody_but_the_trigger_writes_the_visibility_rows(pg_urls, pg_world):
    orgs = pg_world.orgs
    with (
        psycopg.connect(pg_urls.app) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(
            "UPDATE provider_visibility SET tenant_ids = tenant_ids || %s::uuid"
            " WHERE provider_id = %s",
            (orgs["globex"], orgs["other"]),
        )


def test_a_client_naming_an_engaged_set_sees_nothing(pg_urls, pg_world, tasks):
    """``engaged`` means a provider's set; any other organisation that claims
    it gets no rows rather than somebody's clients."""
    acme = pg_world.orgs["acme"]
    with psycopg.connect(pg_urls.app) as conn:
        for name, value in (
            ("baton.org_id", str(acme)),
            ("baton.org_kind", "client"),
            ("baton.tenant_ids", "engaged"),
        ):
            conn.execute("SELECT set_config(%s, %s, true)", (name, value))
        assert ids_in(conn, "background_tasks", "id") == set()


def test_outbox_rows_are_written_in_context_and_read_back_only_by_their_tenant(pg_urls, pg_world):
    acme, globex = pg_world.orgs["acme"], pg_world.orgs["globex"]
    insert = (
        "INSERT INTO outbox_messages (id, created_at, tenant_id, job, payload, status, attempts)"
        " VALUES (%s, now(), %s, 'tenants.send_invitation', '{}', 'pending', 0)"
    )
    mine, anonymous = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(pg_urls.app) as conn:
        apply(conn, client_context(acme))
        conn.execute(insert, (mine, acme))
        conn.commit()
        apply(conn, client_context(acme))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(insert, (uuid.uuid4(), globex))
    with psycopg.connect(pg_urls.app) as conn:
        # A password reset is asked for before anyone is signed in.
        conn.execute(insert, (anonymous, None))
        conn.commit()
        assert ids_in(conn, "outbox_messages", "id") == set()
        apply(conn, client_context(globex))
        assert mine not in ids_in(conn, "outbox_messages", "id")
        conn.rollback()
        apply(conn, client_context(acme))
        assert ids_in(conn, "outbox_messages", "id") >= {mine}
        assert anonymous not in ids_in(conn, "outbox_messages", "id")
    with psycopg.connect(pg_urls.service) as conn:
        assert ids_in(conn, "outbox_messages", "id") >= {mine, anonymous}
        conn.execute(
            "UPDATE outbox_messages SET status = 'done' WHERE id = ANY(%s)", ([mine, anonymous],)
        )


# --- the second layer ----------------------------------------------------------------------
# The same rules, held by the application alone: on SQLite there is no RLS, and
# on PostgreSQL a superuser connection bypasses it, so a missing policy would
# only be caught here.


@pytest.fixture(params=["sqlite", "postgres-superuser"])
def without_rls(request, pg_urls, tmp_path_factory):
    """(Database that RLS does not protect, its world)."""
    from tests.support.world import make_world

    if request.param == "sqlite":
        app = request.getfixturevalue("sqlite_app")
        url = app.config["BATON_SETTINGS"].database_url
    else:
        app = request.getfixturevalue("pg_app")
        url = pg_urls.admin
    world = make_world(app)
    database = Database()
    database.configure(url)
    yield database, world
    database.dispose()


def test_bulk_changes_are_scoped_without_rls(without_rls):
    from baton.sourcing.suppliers.models import Supplier

    database, world = without_rls
    orgs = world.orgs
    ids = {}
    with database.unit_of_work(SERVICE_CONTEXT) as session:
        for key, tenant, provider in (
            ("acme/none", "acme", None),
            ("acme/north", "acme", "north"),
            ("globex/north", "globex", "north"),
            ("globex/other", "globex", "other"),
        ):
            ids[key] = uuid.uuid4()
            session.add(
                BackgroundTask(
                    id=ids[key],
                    tenant_id=orgs[tenant],
                    provider_id=orgs[provider] if provider else None,
                    kind="test",
                    label=key,
                )
            )

    def forge(ctx: TenantContext, key: str) -> tuple[int, int]:
        with database.unit_of_work(ctx) as session:
            updated = session.execute(
                sa.update(BackgroundTask)
                .where(BackgroundTask.id == ids[key])
                .values(label="forged")
            ).rowcount
            session.rollback()
            deleted = session.execute(
                sa.delete(BackgroundTask).where(BackgroundTask.id == ids[key])
            ).rowcount
            session.rollback()
        return updated, deleted

    acme = client_context(orgs["acme"])
    north = provider_context(orgs["north"], {orgs["acme"], orgs["globex"]})
    assert forge(acme, "globex/north") == (0, 0)
    assert forge(north, "acme/none") == (0, 0)  # the client's own row
    assert forge(north, "globex/other") == (0, 0)  # another provider's row
    assert forge(north, "acme/north") == (1, 1)  # positive control: its own row
    assert forge(acme, "acme/north") == (1, 1)
    with database.unit_of_work(acme) as session:
        seen = set(session.scalars(sa.select(BackgroundTask.label)))
    assert seen == {"acme/none", "acme/north"}
    with pytest.raises(TenantIsolationError), database.unit_of_work(north) as session:
        session.execute(
            sa.update(Supplier).where(Supplier.tenant_id == orgs["acme"]).values(name="forged")
        )
    with database.unit_of_work(SERVICE_CONTEXT) as session:
        labels = set(
            session.scalars(
                sa.select(BackgroundTask.label).where(BackgroundTask.id.in_(ids.values()))
            )
        )
    assert labels == set(ids)
