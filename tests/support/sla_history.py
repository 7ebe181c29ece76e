"""SLA history for tests: requirements handed off, returned and answered at chosen
past times through the real services, then the rollup as its job runs it."""

from __future__ import annotations

import uuid
from datetime import datetime

import time_machine
from flask import Flask

from baton.procurement.handoff import review
from baton.procurement.sla import rollup
from baton.tenants import sla_targets
from baton.tenants.models import Engagement, Organisation
from tests.support import requirements as h
from tests.support.world import World

# The examples, with a credit of 2 % of a 12,000.00 EUR fee per missed target.
EXAMPLE_TARGETS = {
    "handoff_to_release_percent": "95",
    "handoff_to_release_hours": "16",
    "handoff_to_release_credit": "2",
    "acknowledgement_percent": "90",
    "acknowledgement_hours": "48",
    "acknowledgement_credit": "2",
    "otif_percent": "92",
    "otif_credit": "2",
    "client_answer_percent": "90",
    "client_answer_hours": "8",
    "client_answer_credit": "0",
    "issue_answer_percent": "90",
    "issue_answer_hours": "8",
    "issue_answer_credit": "2",
    "monthly_fee": "12000.00",
    "fee_currency": "EUR",
    "credit_cap_percent": "10",
}


def set_targets(app: Flask, world: World, key: str = "acme-north", **values: str) -> None:
    with h.service_session(app) as session:
        engagement = session.get(Engagement, world.engagements[key])
        provider = session.get(Organisation, engagement.provider_id)
        sla_targets.update_targets(session, provider, engagement.id, EXAMPLE_TARGETS | dict(values))


def handed_off(app: Flask, world: World, at: datetime, supplier_id=None, **overrides) -> uuid.UUID:
    with time_machine.travel(at, tick=False):
        return h.submitted(app, world, supplier_id, **overrides)


def returned(app: Flask, world: World, rid: uuid.UUID, at: datetime) -> None:
    with time_machine.travel(at, tick=False), h.as_provider(app, world) as (session, uid):
        review.return_requirement(
            session,
            world.orgs["north"],
            uid,
            rid,
            [{"code": "missing_specification", "comment": "Drawing?"}],
        )


def resubmitted(app: Flask, world: World, rid: uuid.UUID, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        h.submit(app, world, rid)


def claimed(app: Flask, world: World, rid: uuid.UUID, at: datetime) -> None:
    with time_machine.travel(at, tick=False), h.as_provider(app, world) as (session, uid):
        review.claim(session, world.orgs["north"], uid, rid)


def roll_up(app: Flask, world: World, now: datetime, *clients: str) -> None:
    """The rollup as the scheduled job runs it (the service session), for our tenants only."""
    with h.service_session(app) as session:
        rollup.run(session, now, tenant_ids={world.orgs[c] for c in clients or ("acme",)})
