"""The audit chain takes a transaction's events at its commit: a writer that
is still working does not hold up the tenant's other writers, a savepoint
that rolls back takes its events with it, and a transaction's events sit
next to each other on the chain."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from baton.platform import audit
from baton.platform.db import db
from baton.platform.request_context import Actor, acting_as
from baton.platform.tenancy import SERVICE_CONTEXT, client_context


def _record(session, tenant_id: uuid.UUID, entity_id: str, action: str = "test.at_commit"):
    return audit.record(
        session, tenant_id=tenant_id, action=action, entity_type="probe", entity_id=entity_id
    )


def _events(app, tenant_id: uuid.UUID, entity_id: str) -> list[tuple[str, int]]:
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            rows = session.execute(
                sa.select(audit.AuditEvent.action, audit.AuditEvent.seq)
                .where(
                    audit.AuditEvent.tenant_id == tenant_id,
                    audit.AuditEvent.entity_id == entity_id,
                )
                .order_by(audit.AuditEvent.seq)
            )
            assert audit.verify_chain(session, tenant_id) is None
            return [tuple(row) for row in rows]
        finally:
            session.close()


@pytest.mark.postgres
def test_an_open_transaction_with_events_does_not_hold_up_another_writer(pg_app, pg_world):
    """A buyer's transaction that has recorded a change and is still at work
    (rendering a PDF, say) leaves the client's chain free for everyone else."""
    acme = pg_world.orgs["acme"]
    probe = str(uuid.uuid4())
    with pg_app.app_context(), acting_as(Actor("system", None, "slow writer")):
        slow = db.new_session(client_context(acme))
        try:
            _record(slow, acme, probe, "test.slow")
            slow.flush()
            with db.unit_of_work(client_context(acme)) as quick:
                # Waiting for the slow transaction would fail here, not hang.
                quick.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
                _record(quick, acme, probe, "test.quick")
            slow.commit()
        finally:
            slow.close()
    events = _events(pg_app, acme, probe)
    assert [action for action, _ in events] == ["test.quick", "test.slow"]
    assert events[1][1] == events[0][1] + 1


def test_a_rolled_back_savepoint_takes_its_events_with_it(app, world):
    acme = world.orgs["acme"]
    probe = str(uuid.uuid4())
    with (
        app.app_context(),
        acting_as(Actor("system", None, "savepoints")),
        db.unit_of_work(client_context(acme)) as session,
    ):
        _record(session, acme, probe, "test.before")
        with pytest.raises(RuntimeError), session.begin_nested():
            _record(session, acme, probe, "test.undone")
            raise RuntimeError("the nested step fails")
        with session.begin_nested():
            _record(session, acme, probe, "test.kept")
        _record(session, acme, probe, "test.after")
    events = _events(app, acme, probe)
    assert [action for action, _ in events] == ["test.before", "test.kept", "test.after"]
    seqs = [seq for _, seq in events]
    assert seqs == list(range(seqs[0], seqs[0] + 3))  # one run: nothing between them


def test_a_transaction_that_rolls_back_records_nothing(app, world):
    acme = world.orgs["acme"]
    probe = str(uuid.uuid4())
    with app.app_context(), acting_as(Actor("system", None, "rollback")):
        with pytest.raises(RuntimeError), db.unit_of_work(client_context(acme)) as session:
            _record(session, acme, probe)
            raise RuntimeError("the request fails")
        with db.unit_of_work(client_context(acme)) as session:
            _record(session, acme, probe, "test.next")
    assert [action for action, _ in _events(app, acme, probe)] == ["test.next"]


def test_events_for_two_tenants_in_one_transaction_join_both_chains(app, world):
    """A provider's act about a client writes to both organisations' chains."""
    north, acme = world.orgs["north"], world.orgs["acme"]
    probe = str(uuid.uuid4())
    with app.app_context(), acting_as(Actor("system", None, "both")):
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            _record(session, north, probe, "test.provider")
            _record(session, acme, probe, "test.client")
            _record(session, north, probe, "test.provider_again")
            session.commit()
        finally:
            session.close()
    north_events = _events(app, north, probe)
    assert [a for a, _ in north_events] == ["test.provider", "test.provider_again"]
    assert north_events[1][1] == north_events[0][1] + 1
    assert [a for a, _ in _events(app, acme, probe)] == ["test.client"]


def test_a_session_closed_without_committing_records_nothing(app, world):
    """The event is dropped with the session, even when it was the first
    thing the session did, and a later commit of another session carries on."""
    acme = world.orgs["acme"]
    probe = str(uuid.uuid4())
    with app.app_context(), acting_as(Actor("system", None, "closed")):
        session = db.new_session(client_context(acme))
        _record(session, acme, probe, "test.abandoned")
        session.close()
        session.commit()  # the closed session starts afresh: nothing of before is left
        with db.unit_of_work(client_context(acme)) as other:
            _record(other, acme, probe, "test.next")
    assert [action for action, _ in _events(app, acme, probe)] == ["test.next"]
