"""What is about to breach on the provider's own clock, on each engagement's calendar.

An item is *at risk* when the provider's clock runs on it and its due time
falls within the next ``RISK_HOURS`` business hours of its engagement's
calendar (8: one working day on the default calendar, so a buyer sees today
what would breach by tomorrow at this time). Past its due time and still on
the provider's clock it is *breached*. The queue's warning and badges and the
provider's SLA page read the same window.

Requirements are judged on their live ``sla_due_at`` (no rollup lag); order
issues on their open ``issue_answer`` measure while the issue waits on the
provider.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from baton.platform.workflow import PROVIDER
from baton.procurement.orders.issue_models import POIssue
from baton.procurement.orders.issue_states import ORDER_ISSUE
from baton.procurement.sla.models import SlaMeasure
from baton.sourcing.requirements import states
from baton.sourcing.requirements.models import Requirement
from baton.tenants.calendars import add_business_hours
from baton.tenants.engagement_settings import calendar_of
from baton.tenants.models import Engagement, Organisation
from baton.tenants.sla_targets import KINDS

RISK_HOURS = Decimal(8)
# The targets that are the provider's own promise, measured per open item.
PROVIDER_METRICS = tuple(m for m, k in KINDS.items() if k.owner == PROVIDER)
ISSUE_ON_PROVIDER = ORDER_ISSUE.waiting_on(PROVIDER)


def active_engagements(session: Session, provider: Organisation) -> list[Engagement]:
    """The provider's active engagements with both parties (calendars need the
    provider's zone), clients by name."""
    return sorted(
        session.scalars(
            sa.select(Engagement)
            .options(joinedload(Engagement.client), joinedload(Engagement.provider))
            .where(Engagement.provider_id == provider.id, Engagement.status == "active")
        ).unique(),
        key=lambda e: (e.client.name.lower(), str(e.id)),
    )


def horizons(
    engagements: Iterable[Engagement], now: datetime, hours: Decimal = RISK_HOURS
) -> dict[uuid.UUID, datetime]:
    """Per engagement, the end of the at-risk window from ``now`` on its calendar."""
    return {e.id: add_business_hours(calendar_of(e), now, hours) for e in engagements}


def requirement_window(horizon: dict[uuid.UUID, datetime]) -> sa.ColumnElement[bool]:
    """Requirements on the provider's clock due before their engagement's horizon
    (already breached ones included: their due time is before it too)."""
    if not horizon:
        return sa.false()
    return sa.and_(
        Requirement.status.in_(states.ON_PROVIDER_CLOCK),
        sa.or_(
            *(
                sa.and_(Requirement.engagement_id == eid, Requirement.sla_due_at <= end)
                for eid, end in horizon.items()
            )
        ),
    )


def issue_window(horizon: dict[uuid.UUID, datetime]) -> sa.ColumnElement[bool]:
    """Open provider-owned measures (order issues waiting on the provider) due before
    the horizon or already missed on the provider's own time."""
    if not horizon:
        return sa.false()
    waiting = (
        sa.select(POIssue.id)
        .where(
            POIssue.tenant_id == SlaMeasure.tenant_id,
            POIssue.id == SlaMeasure.subject_id,
            POIssue.status.in_(ISSUE_ON_PROVIDER),
        )
        .exists()
    )
    return sa.and_(
        SlaMeasure.metric.in_([m for m in PROVIDER_METRICS if m != "handoff_to_release"]),
        SlaMeasure.ended_at.is_(None),
        waiting,
        sa.or_(
            SlaMeasure.owner_met.is_(False),
            *(
                sa.and_(SlaMeasure.engagement_id == eid, SlaMeasure.due_at <= end)
                for eid, end in horizon.items()
            ),
        ),
    )


def is_at_risk(req: Requirement, horizon: dict[uuid.UUID, datetime], now: datetime) -> bool:
    """Due within the window, on the provider's clock, and not yet past due."""
    end = horizon.get(req.engagement_id)
    due = _aware(req.sla_due_at)
    return (
        end is not None
        and due is not None
        and req.status in states.ON_PROVIDER_CLOCK
        and now <= due <= end
    )


def is_breached(req: Requirement, now: datetime) -> bool:
    due = _aware(req.sla_due_at)
    return due is not None and req.status in states.ON_PROVIDER_CLOCK and due < now


def _aware(value: datetime | None) -> datetime | None:
    # SQLite gives naive datetimes back; they are UTC.
    from datetime import UTC

    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
