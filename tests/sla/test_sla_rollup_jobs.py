"""The scheduled rollup: a cross-tenant scan that hands each tenant its range of
events, and a per-tenant job that rolls it up in that tenant's own context
(on PostgreSQL under the app role and row-level security)."""

from __future__ import annotations

from decimal import Decimal

from baton.platform.db import db
from baton.platform.jobs import drain_inline
from baton.platform.outbox import OutboxMessage
from baton.platform.request_context import Actor, acting_as
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.procurement.sla import jobs
from tests.support import requirements as h
from tests.support.sla import at, berlin, measures, use_calendar


def _scan(app, world):
    """What the schedule does: scan, commit, then run the jobs it emitted."""
    with app.app_context(), acting_as(Actor("system", None, "schedule")):
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            emitted = jobs.scan(session, jobs.utcnow(), {world.orgs["acme"], world.orgs["globex"]})
            ids = session.info.pop("outbox_ids", [])
            session.commit()
        finally:
            session.close()
        drain_inline(ids)
    return emitted, ids


def test_the_scan_hands_each_tenant_its_events_and_the_job_rolls_them_up(app, world):
    use_calendar(app, world.engagements["acme-north"], sla_handoff_to_release_hours=Decimal(16))
    with at(berlin(2026, 4, 13, 9)):
        rid = h.submitted(app, world)
    with at(berlin(2026, 4, 13, 13)):
        emitted, ids = _scan(app, world)
    # acme has events; globex has an audit chain of its own creation only.
    assert emitted >= 1
    with h.service_session(app) as session:
        rows = [session.get(OutboxMessage, i) for i in ids]
        assert {r.job for r in rows} == {jobs.ROLL_TENANT}
        assert {r.status for r in rows} == {"done"}
        assert world.orgs["acme"] in {r.tenant_id for r in rows}
    (handoff,) = measures(app, world, "handoff_to_release")
    assert handoff.requirement_id == rid
    assert handoff.elapsed_hours == Decimal(4) == handoff.provider_hours
    assert handoff.due_at == berlin(2026, 4, 14, 17)

    # Nothing new and nothing past its limit: the next quarter hour emits nothing.
    with at(berlin(2026, 4, 13, 13, 15)):
        emitted, ids = _scan(app, world)
    assert (emitted, ids) == (0, [])
    # Wednesday 09:00 it has had exactly its 16 hours (within); at 10:00 it is
    # over, with no event: the scan finds it by its due time both times.
    with at(berlin(2026, 4, 15, 9)):
        emitted, _ids = _scan(app, world)
    assert emitted == 1
    (handoff,) = measures(app, world, "handoff_to_release")
    assert (handoff.within, handoff.elapsed_hours) == (None, Decimal(16))
    with at(berlin(2026, 4, 15, 10)):
        emitted, _ids = _scan(app, world)
    assert emitted == 1
    (handoff,) = measures(app, world, "handoff_to_release")
    assert (handoff.within, handoff.owner_met, handoff.breach_party) == (False, False, "provider")
