"""SLA history for tests: a March of handoffs, returns and acknowledgements at
chosen times, made through the real services under ``time_machine``, then
rolled up for the world's own tenants.

The engagement's calendar is the default (UTC, Monday to Friday 09:00-17:00,
8 business hours a day); the targets are tightened so the moments below are
breaches:

* REQ "Pump seals" handed off Friday 6 March 15:00, released Tuesday 10 March
  16:00: 2 + 8 + 7 = 17 business hours on the provider's time, over 16 (a
  provider breach; its order was approved on submission).
* REQ "=SUM(1,2)" (a reference a spreadsheet would run) handed off Monday 2
  March 09:00, returned at 10:00 for a missing specification, answered by the
  client Wednesday 4 March 10:00: 16 business hours, over 4 (a client breach).
* The Pump seals order released Tuesday 16:00, acknowledged Thursday 12 March
  12:00: 1 + 8 + 3 = 12 business hours, over 8 (a supplier breach).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import time_machine
from flask import Flask

from baton.platform.db import db
from baton.platform.request_context import Actor, acting_as
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.procurement.handoff import review
from baton.procurement.orders import acknowledgements, release
from baton.procurement.sla import rollup
from baton.tenants import sla_targets
from baton.tenants.models import Engagement, Organisation
from tests.support import orders as o
from tests.support import requirements as h
from tests.support.world import World


def at(day: int, hour: int, month: int = 3) -> time_machine.travel:
    return time_machine.travel(datetime(2026, month, day, hour, tzinfo=UTC), tick=False)


@dataclass
class History:
    late_release: uuid.UUID  # the requirement released late
    late_answer: uuid.UUID  # the requirement the client answered late
    late_po: uuid.UUID  # the order acknowledged late
    po_number: str


def set_targets(app: Flask, world: World, **values: str) -> None:
    with h.as_provider(app, world, who="north_admin") as (session, _):
        engagement = session.get(Engagement, world.engagements["acme-north"])
        data = sla_targets.form_values(engagement)
        data.update(values)
        north = session.get(Organisation, world.orgs["north"])
        sla_targets.update_targets(session, north, engagement.id, data)


def roll_up(app: Flask, world: World, now: datetime) -> None:
    with app.app_context(), acting_as(Actor("system", None, "test rollup")):
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            rollup.run(session, now, tenant_ids={world.orgs["acme"], world.orgs["globex"]})
            session.commit()
        finally:
            session.close()


def march(app: Flask, world: World) -> History:
    with at(1, 12):
        set_targets(
            app,
            world,
            handoff_to_release_hours="16",
            handoff_to_release_credit="5",
            acknowledgement_hours="8",
            client_answer_hours="4",
            monthly_fee="10000",
            fee_currency="EUR",
            credit_cap_percent="20",
        )
        supplier = h.make_supplier(app, world, name="Seal Works")
    # The client answers a return two days late.
    with at(2, 9):
        answer_id = h.create_draft(
            app, world, h.good_data(world, supplier, client_reference="=SUM(1,2)", title="Gaskets")
        )
        h.submit(app, world, answer_id)
    with at(2, 10), h.as_provider(app, world) as (session, uid):
        review.return_requirement(
            session,
            world.orgs["north"],
            uid,
            answer_id,
            [{"code": "missing_specification", "comment": "Attach the gasket drawing."}],
        )
    with at(4, 10):
        h.submit(app, world, answer_id)
    # Handed off on a Friday afternoon, released on Tuesday.
    with at(6, 15):
        late_id = h.create_draft(app, world, h.good_data(world, supplier, title="Pump seals"))
        h.submit(app, world, late_id)
    with at(9, 10), h.as_provider(app, world) as (session, uid):
        review.accept(session, world.orgs["north"], uid, late_id)
    with at(9, 11):
        po_id = o.draft(app, world, late_id)
        o.submit(app, world, po_id)
    with at(10, 16), h.as_provider(app, world) as (session, _):
        release.release(session, world.orgs["north"], po_id)
    # The supplier answers two days later.
    with at(12, 12), h.as_provider(app, world) as (session, uid):
        acknowledgements.record_for_buyer(
            session,
            world.orgs["north"],
            uid,
            po_id,
            [{"line_no": 1, "outcome": "accepted"}],
            source="email",
            note=None,
        )
    with at(1, 6, month=4):
        roll_up(app, world, datetime(2026, 4, 1, 6, tzinfo=UTC))
    return History(
        late_release=late_id,
        late_answer=answer_id,
        late_po=po_id,
        po_number=o.load(app, po_id).number,
    )
