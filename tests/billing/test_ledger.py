"""The usage ledger: each billable act once, in the act's own transaction,
visible to the provider whose work it was and to the client it was for."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from baton.platform.audit import AuditEvent
from baton.platform.errors import Conflict
from baton.platform.metering import on_audit
from baton.procurement.orders import chasers, release
from baton.procurement.orders.queries import get_for_provider
from baton.tenants.billing.models import UsageEvent
from tests.support import orders as o
from tests.support import requirements as h


def ledger(app, **where) -> list[tuple[str, str, Decimal]]:
    with h.service_session(app) as session:
        rows = session.scalars(
            # Acts of one transaction share its clock; the key breaks the tie.
            sa.select(UsageEvent)
            .filter_by(**where)
            .order_by(UsageEvent.occurred_at, UsageEvent.key)
        ).all()
        return [(r.metric, r.key.split(":")[0], r.quantity) for r in rows]


def test_accepting_and_releasing_meter_the_acts_with_their_quantities(app, world):
    po_id = o.released(app, world)
    po = o.load(app, po_id)
    rows = ledger(app, provider_id=world.orgs["north"], tenant_id=world.orgs["acme"])
    assert rows == [
        ("requirement_accepted", "requirement_accepted", Decimal(1)),
        ("po_line_released", "po_line_released", Decimal(len(po.lines))),
        ("po_released", "po_released", Decimal(1)),
    ]
    with h.service_session(app) as session:
        event = session.scalar(
            sa.select(UsageEvent).filter_by(metric="po_released", entity_id=str(po_id))
        )
        assert event.key == f"po_released:{po_id}:{po.revision}"
        assert event.engagement_id == world.engagements["acme-north"]


def test_a_chase_is_metered_per_chaser_and_a_refused_release_meters_nothing(app, world):
    po_id = o.released(app, world)
    for _ in range(2):
        with h.as_provider(app, world) as (session, _):
            chasers.chase(session, world.orgs["north"], po_id)
    assert [
        m for m, _, _ in ledger(app, metric="supplier_chase_sent", provider_id=world.orgs["north"])
    ] == ["supplier_chase_sent"] * 2
    # Releasing again is refused by the machine; the ledger is left as it was.
    before = ledger(app, provider_id=world.orgs["north"])
    with pytest.raises(Conflict), h.as_provider(app, world) as (session, _):
        release.release(session, world.orgs["north"], po_id)
    assert ledger(app, provider_id=world.orgs["north"]) == before


def test_the_same_key_is_metered_once_however_often_it_is_recorded(app, world):
    po_id = o.released(app, world)
    with h.as_provider(app, world) as (session, _):
        po = get_for_provider(session, world.orgs["north"], po_id)
        event = session.scalar(
            sa.select(AuditEvent).filter_by(entity_id=str(po_id), action="purchase_order.release")
        )
        # A replayed act (a retried job, say) reaches the ledger again.
        on_audit(session, event)
        on_audit(session, event)
        assert po.status == "released"
    assert [m for m, _, _ in ledger(app, entity_id=str(po_id))] == [
        "po_line_released",
        "po_released",
    ]


def test_a_provider_reads_only_its_own_usage_and_a_client_only_its_share(app, world):
    o.released(app, world)
    h.submitted_for_globex(app, world)
    with h.as_provider(app, world, org="other") as (session, _):
        assert session.scalars(sa.select(UsageEvent)).all() == []
    with h.as_client(app, world, org="globex") as (session, _):
        assert session.scalars(sa.select(UsageEvent)).all() == []
    with h.as_client(app, world, org="acme") as (session, _):
        seen = session.scalars(sa.select(UsageEvent)).all()
        assert {e.tenant_id for e in seen} == {world.orgs["acme"]} and len(seen) == 3
    with h.as_provider(app, world) as (session, _):
        assert len(session.scalars(sa.select(UsageEvent)).all()) == 3
