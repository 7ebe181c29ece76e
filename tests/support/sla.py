"""SLA fixtures: an engagement calendar, history at chosen times, the rollup for one world."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import time_machine
from flask import Flask

from baton.procurement.sla import rollup
from baton.procurement.sla.models import SlaMeasure, SlaMonthly
from baton.tenants.models import Engagement
from tests.support import requirements as h
from tests.support.world import World

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Everything inside happens at ``moment`` (the clock stands still)."""
    with time_machine.travel(moment.astimezone(UTC), tick=False):
        yield


def use_calendar(app: Flask, engagement_id: uuid.UUID, **values) -> None:
    """Test set-up: the engagement's calendar as given (Berlin, DE holidays by default)."""
    values = {"timezone": "Europe/Berlin", "holiday_country": "DE"} | values
    with h.service_session(app) as session:
        engagement = session.get(Engagement, engagement_id)
        for name, value in values.items():
            setattr(engagement, name, value)


def roll(app: Flask, world: World, *, rebuild: bool = False) -> rollup.Result:
    """The scheduled rollup, for this world's client tenants only."""
    clients = {world.orgs["acme"], world.orgs["globex"]}
    with h.service_session(app) as session:
        run = rollup.rebuild if rebuild else rollup.run
        return run(session, tenant_ids=clients)


def measures(app: Flask, world: World, metric: str, org: str = "acme") -> list[SlaMeasure]:
    with h.service_session(app) as session:
        found = list(
            session.scalars(
                sa.select(SlaMeasure)
                .where(SlaMeasure.tenant_id == world.orgs[org], SlaMeasure.metric == metric)
                .order_by(SlaMeasure.started_at)
            )
        )
        session.expunge_all()
        return found


def monthly(app: Flask, world: World, metric: str, org: str = "acme", cause: str = "") -> dict:
    """period -> the month's figures for ``metric``."""
    with h.service_session(app) as session:
        found = {
            row.period: row
            for row in session.scalars(
                sa.select(SlaMonthly).where(
                    SlaMonthly.tenant_id == world.orgs[org],
                    SlaMonthly.metric == metric,
                    SlaMonthly.cause == cause,
                )
            )
        }
        session.expunge_all()
        return found
