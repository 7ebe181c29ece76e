"""Engagements: which provider works for which client, and their state."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from baton.platform import audit
from baton.platform.db import utcnow
from baton.platform.errors import Conflict, NotFound, ValidationFailed
from baton.tenants.models import (
    Engagement,
    Organisation,
)
from baton.tenants.states import ENGAGEMENT

ENGAGEMENT_FIELDS = ("client_id", "provider_id", "status", "starts_on", "ends_on")


# --- engagements -----------------------------------------------------------------------


def create_engagement(
    session: Session, *, client: Organisation, provider: Organisation, starts_on: date | None = None
) -> Engagement:
    errors = {}
    if client.kind != "client":
        errors["client"] = f"{client.name} is not a client organisation."
    if provider.kind != "provider":
        errors["provider"] = f"{provider.name} is not a provider organisation."
    if errors:
        raise ValidationFailed(errors)
    existing = session.scalar(
        sa.select(Engagement).where(
            Engagement.client_id == client.id, Engagement.provider_id == provider.id
        )
    )
    if existing is not None:
        raise Conflict(f"{provider.name} is already engaged by {client.name}.")
    engagement = Engagement(
        id=uuid.uuid4(),
        client_id=client.id,
        provider_id=provider.id,
        status="active",
        starts_on=starts_on or utcnow().date(),
    )
    session.add(engagement)
    session.flush()
    audit.record(
        session,
        tenant_id=client.id,
        provider_id=provider.id,
        action="engagement.created",
        entity_type="engagement",
        entity_id=engagement.id,
        changes=audit.diff({}, audit.snapshot(engagement, ENGAGEMENT_FIELDS)),
    )
    return engagement


def set_engagement_status(session: Session, engagement: Engagement, status: str) -> Engagement:
    """Move the engagement to ``status`` through its machine (checked, audited)."""
    if status not in ENGAGEMENT.labels:
        raise ValidationFailed({"status": f"Status must be one of {', '.join(ENGAGEMENT.states)}."})
    if engagement.status == status:
        return engagement
    before_end = engagement.ends_on
    if status == "ended" and engagement.ends_on is None:
        engagement.ends_on = utcnow().date()
    ENGAGEMENT.apply(
        session,
        engagement,
        status,
        changes={"ends_on": [audit.jsonable(before_end), audit.jsonable(engagement.ends_on)]}
        if engagement.ends_on != before_end
        else None,
        audit_tenant_id=engagement.client_id,
    )
    return engagement


def engagements_of(session: Session, org: Organisation) -> list[Engagement]:
    column = Engagement.client_id if org.kind == "client" else Engagement.provider_id
    return list(
        session.scalars(
            sa.select(Engagement)
            .options(joinedload(Engagement.client), joinedload(Engagement.provider))
            .where(column == org.id)
            .order_by(Engagement.created_at)
        )
    )


def find_engagement(session: Session, client_id: uuid.UUID, provider_id: uuid.UUID) -> Engagement:
    engagement = session.scalar(
        sa.select(Engagement).where(
            Engagement.client_id == client_id, Engagement.provider_id == provider_id
        )
    )
    if engagement is None:
        raise NotFound("engagement")
    return engagement
