"""The client's home page: what needs doing today, read for one client organisation.

Every function takes the client's organisation id explicitly; nothing here
reads another tenant's rows, and the session's tenant context (and row-level
security on PostgreSQL) would refuse it anyway.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.db import utcnow
from baton.sourcing.requirements import snapshot, states
from baton.sourcing.requirements.models import (
    RETURN_REASONS,
    Requirement,
    RequirementReview,
)
from baton.sourcing.suppliers.models import Supplier
from baton.tenants.models import Organisation

# A qualification running out this soon needs renewing now: audits take weeks.
EXPIRY_WARNING_DAYS = 30
LIST_LIMIT = 10


@dataclass(frozen=True)
class Bucket:
    """A count of requirements and the requirement-list filter that shows them."""

    key: str
    label: str
    hint: str
    count: int
    needs_action: bool = False


# key (a status or a filter group of states.REQUIREMENT), label, hint, the client must act
BUCKETS = (
    ("draft", "Drafts", "being written; hand them off when they are ready", False),
    ("with_provider", "With the provider", "submitted or in review", False),
    ("returned", "Returned", "needs your action", True),
    ("accepted", "Accepted", "ready for purchase orders", False),
)


@dataclass(frozen=True)
class Reason:
    label: str
    field: str | None
    comment: str | None


@dataclass
class ReturnedItem:
    requirement: Requirement
    provider_name: str
    returned_at: datetime | None
    reasons: list[Reason] = field(default_factory=list)
    comment: str | None = None


@dataclass
class ClientHome:
    buckets: list[Bucket]
    returned: list[ReturnedItem]
    suppliers: list[Supplier]


def requirement_buckets(session: Session, client_id: uuid.UUID) -> list[Bucket]:
    counts = dict(
        session.execute(
            sa.select(Requirement.status, sa.func.count())
            .where(Requirement.tenant_id == client_id)
            .group_by(Requirement.status)
        ).all()
    )
    return [
        Bucket(
            key,
            label,
            hint,
            sum(counts.get(status, 0) for status in states.REQUIREMENT.statuses_for(key)),
            needs_action,
        )
        for key, label, hint, needs_action in BUCKETS
    ]


def returned_requirements(
    session: Session, client_id: uuid.UUID, limit: int = LIST_LIMIT
) -> list[ReturnedItem]:
    """Returned requirements, most recently returned first, with the provider's reasons."""
    rows = session.execute(
        sa.select(Requirement, Organisation.name)
        .join(Organisation, Organisation.id == Requirement.provider_id)
        .where(Requirement.tenant_id == client_id, Requirement.status == "returned")
        .order_by(Requirement.returned_at.desc().nulls_last(), Requirement.client_reference)
        .limit(limit)
    ).all()
    if not rows:
        return []
    reviews: dict[uuid.UUID, RequirementReview] = {}
    for review in session.scalars(
        sa.select(RequirementReview)
        .where(
            RequirementReview.tenant_id == client_id,
            RequirementReview.requirement_id.in_([req.id for req, _name in rows]),
            RequirementReview.decision == "returned",
        )
        .order_by(RequirementReview.created_at.desc())
    ):
        reviews.setdefault(review.requirement_id, review)  # the latest return counts
    items = []
    for req, provider_name in rows:
        review = reviews.get(req.id)
        reasons = [
            Reason(
                RETURN_REASONS.get(r.get("code"), r.get("code") or ""),
                snapshot.field_label(r["field"]) if r.get("field") else None,
                r.get("comment"),
            )
            for r in (review.reasons if review else [])
        ]
        items.append(
            ReturnedItem(
                req, provider_name, req.returned_at, reasons, review.comment if review else None
            )
        )
    return items


def suppliers_to_requalify(
    session: Session,
    client_id: uuid.UUID,
    today: date | None = None,
    within_days: int = EXPIRY_WARNING_DAYS,
) -> list[Supplier]:
    """Qualified or conditional suppliers whose qualification lapsed or runs out soon,
    soonest first. Suspended and disqualified ones are not usable whatever the date."""
    today = today or utcnow().date()
    return list(
        session.scalars(
            sa.select(Supplier)
            .where(
                Supplier.tenant_id == client_id,
                Supplier.qualification_status.in_(("qualified", "conditional")),
                Supplier.qualified_until <= today + timedelta(days=within_days),
            )
            .order_by(Supplier.qualified_until, Supplier.name)
            .limit(LIST_LIMIT)
        )
    )


def client_home(session: Session, client_id: uuid.UUID, today: date | None = None) -> ClientHome:
    return ClientHome(
        buckets=requirement_buckets(session, client_id),
        returned=returned_requirements(session, client_id),
        suppliers=suppliers_to_requalify(session, client_id, today),
    )
