"""The provider's home page: where each client's work stands, and what waits for me.

Built on the queue's own services (the due-today count, ``read_queue`` with
the filters the links on the page open), so the numbers here and the queue
they link to always agree. Every function takes the acting provider
explicitly and sees only its actively engaged clients' handed-off work.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.db import utcnow
from baton.procurement.handoff import queue
from baton.procurement.handoff.review import provider_visible
from baton.sourcing.requirements import states
from baton.sourcing.requirements.models import Requirement
from baton.tenants.models import Organisation
from baton.tenants.services import engaged_client_ids

LIST_SIZE = 8


@dataclass(frozen=True)
class ClientLoad:
    """One client's work in the queue; each number links to the queue filtered to it."""

    client_id: uuid.UUID
    client_name: str
    due_today: int
    overdue: int
    open: int


@dataclass
class ProviderHome:
    clients: list[ClientLoad]
    # What this buyer has claimed, soonest due first; None for people who cannot claim.
    mine: queue.QueuePage | None
    # Handed off, not yet claimed by anyone and not yet opened.
    arrivals: queue.QueuePage
    now: datetime


def client_load(
    session: Session, provider: Organisation, now: datetime | None = None
) -> list[ClientLoad]:
    """Per actively engaged client: due today and overdue on the provider's clock, and
    everything open in the queue (returned ones too), the most pressing client first."""
    client_ids = engaged_client_ids(session, provider.id)
    if not client_ids:
        return []
    now = now or utcnow()
    due = queue.due_today(session, provider, client_ids)
    late = sa.and_(Requirement.status.in_(states.ON_PROVIDER_CLOCK), Requirement.sla_due_at < now)
    totals = {
        tenant_id: (open_count, overdue or 0)
        for tenant_id, open_count, overdue in session.execute(
            sa.select(
                Requirement.tenant_id,
                sa.func.count(),
                sa.func.sum(sa.case((late, 1), else_=0)),
            )
            .where(
                *provider_visible(session, provider.id, client_ids),
                Requirement.status.in_(states.QUEUE),
            )
            .group_by(Requirement.tenant_id)
        ).all()
    }
    loads = [
        ClientLoad(
            d.client_id,
            d.client_name,
            d.count,
            totals.get(d.client_id, (0, 0))[1],
            totals.get(d.client_id, (0, 0))[0],
        )
        for d in due
    ]
    return sorted(loads, key=lambda c: (-c.overdue, -c.due_today, c.client_name))


def claimed_by(
    session: Session, provider: Organisation, user_id: uuid.UUID, size: int = LIST_SIZE
) -> queue.QueuePage:
    return queue.read_queue(
        session,
        provider,
        user_id,
        queue.QueueFilters(buyer="me"),
        page_size=size,
        with_due_today=False,
    )


def new_arrivals(
    session: Session, provider: Organisation, size: int = LIST_SIZE
) -> queue.QueuePage:
    return queue.read_queue(
        session,
        provider,
        None,
        queue.QueueFilters(buyer="none", status="submitted"),
        page_size=size,
        with_due_today=False,
    )


def provider_home(
    session: Session, provider: Organisation, user_id: uuid.UUID | None, *, can_claim: bool
) -> ProviderHome:
    return ProviderHome(
        clients=client_load(session, provider),
        mine=claimed_by(session, provider, user_id) if can_claim and user_id else None,
        arrivals=new_arrivals(session, provider),
        now=utcnow(),
    )
