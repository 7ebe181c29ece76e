"""The audit trail: every directory change is recorded with a field-level diff,
the hash chain is verified by `flask audit-verify`, and concurrent writers
cannot fork a tenant's chain."""

from __future__ import annotations

import html
import re
import threading
import uuid

import psycopg
import pytest
import sqlalchemy as sa

from baton.platform import audit
from baton.platform.db import db
from baton.platform.request_context import Actor, acting_as
from baton.platform.tenancy import SERVICE_CONTEXT, client_context
from baton.tenants.models import ApiToken, Organisation
from tests.support.world import PASSWORD, login

# The confirmation a person gives (the dialog or the confirmation page).
CONFIRMED = {"confirmed": "yes"}

# The action's code rides along as an attribute; the page itself shows words.
ROW = re.compile(
    r'<tr data-testid="audit-event" data-action="(.*?)"><td>(\d+)</td>.*?'
    r'<td class="small">(.*?)</td></tr>',
    re.S,
)
CHANGE = re.compile(
    r'<div data-testid="audit-change" data-field="(.*?)"><strong>.*?</strong>: (.*?) → (.*?)</div>'
)


def audit_page(client) -> list[tuple[str, dict[str, tuple[str, str]]]]:
    """(action, {field: (before, after)}) of each row of the audit log page, newest first."""
    page = client.get("/organisation/audit")
    assert page.status_code == 200
    rows = []
    for action, _seq, cell in ROW.findall(page.text):
        changes = {
            html.unescape(f): (html.unescape(a), html.unescape(b))
            for f, a, b in CHANGE.findall(cell)
        }
        rows.append((html.unescape(action), changes))
    return rows


def find(rows, action: str) -> dict[str, tuple[str, str]]:
    matches = [changes for name, changes in rows if name == action]
    assert matches, f"no {action} event in {[name for name, _ in rows]}"
    return matches[0]


def cli(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_directory_changes_are_audited_with_field_diffs(app, world):
    admin = app.test_client()
    login(admin, world.email("acme_admin"))

    viewer = world.memberships["acme_viewer"]
    assert (
        admin.post(f"/organisation/members/{viewer}/role", data={"role": "approver"}).status_code
        == 302
    )
    sourcing = world.memberships["acme_sourcing"]
    assert (
        admin.post(f"/organisation/members/{sourcing}/deactivate", data=CONFIRMED).status_code
        == 302
    )
    created = admin.post("/organisation/api-tokens", data={"name": "ERP link", "role": "viewer"})
    assert created.status_code == 303
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        token = session.scalar(
            sa.select(ApiToken).where(
                ApiToken.organisation_id == world.orgs["acme"], ApiToken.name == "ERP link"
            )
        )
        session.close()
    assert (
        admin.post(f"/organisation/api-tokens/{token.id}/revoke", data=CONFIRMED).status_code == 302
    )

    # Engagements and new members come from the operator CLI.
    acme_slug, north_slug = _slug(app, world.orgs["acme"]), _slug(app, world.orgs["north"])
    result = cli(
        app, "engagement-status", "--client", acme_slug, "--provider", north_slug, "suspended"
    )
    assert result.exit_code == 0, result.output
    newcomer = f"newcomer.{world.suffix}@example.com"
    result = cli(
        app, "user-create", "--email", newcomer, "--name", "New Comer",
        "--org", acme_slug, "--role", "viewer", "--password", PASSWORD,
    )  # fmt: skip
    assert result.exit_code == 0, result.output

    rows = audit_page(admin)
    assert find(rows, "membership.role_changed") == {"role": ("viewer", "approver")}
    assert find(rows, "membership.deactivated") == {"is_active": ("yes", "no")}
    assert find(rows, "api_token.created")["name"] == ("—", "ERP link")
    assert find(rows, "api_token.created")["role"] == ("—", "viewer")
    assert find(rows, "api_token.revoked")["revoked_at"][0] == "—"
    assert find(rows, "engagement.suspended") == {"status": ("Active", "Suspended")}
    added = find(rows, "membership.added")
    assert added["user"] == ("—", newcomer) and added["role"] == ("—", "viewer")
    # An id in a diff reads as the name of what it points at.
    assert find(rows, "engagement.created")["provider_id"] == ("—", f"North {world.suffix}")
    # The provider keeps its own chain; the client's events are not in it.
    north = app.test_client()
    login(north, world.email("north_admin"))
    assert "engagement.suspended" not in [name for name, _ in audit_page(north)]


def test_a_new_organisation_starts_its_chain_with_its_creation(app):
    suffix = uuid.uuid4().hex[:6]
    name = f"Initech {suffix}"
    assert (
        cli(app, "org-create", "--name", name, "--kind", "client", "--code", "INIT").exit_code == 0
    )
    email = f"boss.{suffix}@example.com"
    result = cli(
        app, "user-create", "--email", email, "--name", "Boss",
        "--org", name, "--role", "admin", "--password", PASSWORD,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    client = app.test_client()
    login(client, email)
    rows = audit_page(client)
    assert [name for name, _ in rows] == ["membership.added", "organisation.created"]
    created = rows[1][1]
    assert created["name"] == ("—", name)
    assert created["kind"] == ("—", "client")
    assert created["code"] == ("—", "INIT")


def _slug(app, org_id: uuid.UUID) -> str:
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            return session.get(Organisation, org_id).slug
        finally:
            session.close()


def test_audit_verify_passes_on_intact_chains(app, world):
    result = cli(app, "audit-verify")
    assert result.exit_code == 0, result.output
    assert "intact" in result.output
    result = cli(app, "audit-verify", "--org", _slug(app, world.orgs["acme"]))
    assert result.exit_code == 0, result.output
    assert "1 organisation verified" in result.output


@pytest.fixture
def superuser(pg_urls):
    """The superuser, with triggers off, as an attacker with database access would be."""
    with psycopg.connect(pg_urls.admin, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        yield conn


def _event(conn, tenant_id: uuid.UUID, seq: int) -> tuple[uuid.UUID, str]:
    return conn.execute(
        "SELECT id, changes::text FROM audit_events WHERE tenant_id = %s AND seq = %s",
        (tenant_id, seq),
    ).fetchone()


def test_audit_verify_names_an_altered_event(pg_app, pg_world, superuser):
    acme = pg_world.orgs["acme"]
    # seq 2 is the admin's membership; the forgery hides which role was given.
    event_id, original = _event(superuser, acme, 2)
    assert '"admin"' in original
    superuser.execute(
        "UPDATE audit_events SET changes = %s::json WHERE id = %s",
        (original.replace('"admin"', '"viewer"'), event_id),
    )
    try:
        result = cli(pg_app, "audit-verify")
        assert result.exit_code != 0
        assert f"tenant {acme}" in result.output
        assert f"#2 (id {event_id})" in result.output
        assert "content does not match its hash" in result.output
        # Other tenants' chains are still reported as fine: only acme is named.
        assert result.output.count("BROKEN") == 1
    finally:
        superuser.execute(
            "UPDATE audit_events SET changes = %s::json WHERE id = %s", (original, event_id)
        )
    assert cli(pg_app, "audit-verify").exit_code == 0


@pytest.mark.parametrize("which", ["middle", "last"])
def test_audit_verify_notices_a_deleted_event(pg_app, pg_world, superuser, which):
    acme = pg_world.orgs["acme"]
    last = superuser.execute(
        "SELECT max(seq) FROM audit_events WHERE tenant_id = %s", (acme,)
    ).fetchone()[0]
    seq = 3 if which == "middle" else last
    event_id, _ = _event(superuser, acme, seq)
    superuser.execute(
        "CREATE TEMP TABLE removed AS SELECT * FROM audit_events WHERE id = %s", (event_id,)
    )
    superuser.execute("DELETE FROM audit_events WHERE id = %s", (event_id,))
    try:
        result = cli(pg_app, "audit-verify")
        assert result.exit_code != 0
        assert f"tenant {acme}: event #{seq} " in result.output
        assert "missing" in result.output
    finally:
        superuser.execute("INSERT INTO audit_events SELECT * FROM removed")
        superuser.execute("DROP TABLE removed")
    assert cli(pg_app, "audit-verify").exit_code == 0


def test_sqlite_refuses_to_change_audit_events(sqlite_app, world_sqlite):
    with sqlite_app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                session.execute(
                    sa.text("UPDATE audit_events SET action = 'forged' WHERE tenant_id = :t"),
                    {"t": world_sqlite.orgs["acme"].hex},
                )
            session.rollback()
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                session.execute(
                    sa.text("DELETE FROM audit_events WHERE tenant_id = :t"),
                    {"t": world_sqlite.orgs["acme"].hex},
                )
        finally:
            session.rollback()
            session.close()


def test_audit_verify_names_an_altered_event_on_sqlite(sqlite_app, world_sqlite):
    """Someone with the database file drops the trigger and rewrites history."""
    acme = world_sqlite.orgs["acme"]
    engine = sqlite_app.extensions["baton.db"].engine
    with engine.begin() as conn:
        trigger = conn.execute(
            sa.text("SELECT sql FROM sqlite_master WHERE name = 'audit_events_no_update'")
        ).scalar_one()
        event_id, original = conn.execute(
            sa.text("SELECT id, action FROM audit_events WHERE tenant_id = :t AND seq = 2"),
            {"t": acme.hex},
        ).one()
        conn.execute(sa.text("DROP TRIGGER audit_events_no_update"))
        conn.execute(
            sa.text("UPDATE audit_events SET action = 'membership.removed' WHERE id = :id"),
            {"id": event_id},
        )
    try:
        result = cli(sqlite_app, "audit-verify")
        assert result.exit_code != 0
        assert f"tenant {acme}: event #2 (id {uuid.UUID(event_id)})" in result.output
    finally:
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE audit_events SET action = :a WHERE id = :id"),
                {"a": original, "id": event_id},
            )
            conn.execute(sa.text(trigger))
    assert cli(sqlite_app, "audit-verify").exit_code == 0


@pytest.fixture
def world_sqlite(sqlite_app):
    from tests.support.world import make_world

    return make_world(sqlite_app)


def test_concurrent_writers_extend_one_unbroken_chain(app, world):
    acme = world.orgs["acme"]
    threads_n, events_each = 4, 8
    barrier = threading.Barrier(threads_n)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with app.app_context(), acting_as(Actor("system", None, f"writer {n}")):
                barrier.wait(timeout=10)
                for i in range(events_each):
                    with db.unit_of_work(client_context(acme)) as session:
                        audit.record(
                            session,
                            tenant_id=acme,
                            action="test.concurrent",
                            entity_type="writer",
                            entity_id=str(n),
                            changes={"i": [i - 1 if i else None, i]},
                        )
        except BaseException as exc:  # reported below with the thread's own error
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == []

    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            seqs = list(
                session.scalars(
                    sa.select(audit.AuditEvent.seq)
                    .where(audit.AuditEvent.tenant_id == acme)
                    .order_by(audit.AuditEvent.seq)
                )
            )
            written = session.scalar(
                sa.select(sa.func.count())
                .select_from(audit.AuditEvent)
                .where(
                    audit.AuditEvent.tenant_id == acme,
                    audit.AuditEvent.action == "test.concurrent",
                )
            )
            assert audit.verify_chain(session, acme) is None
        finally:
            session.close()
    assert written == threads_n * events_each
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_change_that_changes_nothing_writes_no_event(app, world):
    admin = app.test_client()
    login(admin, world.email("acme_admin"))
    viewer = world.memberships["acme_viewer"]
    before = len(audit_page(admin))
    assert (
        admin.post(f"/organisation/members/{viewer}/role", data={"role": "viewer"}).status_code
        == 302
    )
    assert (
        admin.post(f"/organisation/members/{viewer}/deactivate", data=CONFIRMED).status_code == 302
    )
    assert (
        admin.post(f"/organisation/members/{viewer}/deactivate", data=CONFIRMED).status_code == 302
    )
    rows = audit_page(admin)
    assert [name for name, _ in rows[: len(rows) - before]] == ["membership.deactivated"]


def test_an_unchanged_decimal_is_not_recorded_as_a_change():
    from decimal import Decimal

    from baton.platform.audit import diff

    assert diff({"quantity": Decimal("200.0000")}, {"quantity": Decimal("200")}) == {}
    assert diff({"price": Decimal("3.8500")}, {"price": Decimal("3.85")}) == {}
    assert diff({"price": Decimal("3.85")}, {"price": Decimal("3.86")}) == {
        "price": ["3.85", "3.86"]
    }
