"""The usage ledger's writer and its plain reads.

``record`` is installed as the metering recorder (``platform.metering``):
``audit.record`` calls it for every billable act, inside the act's
transaction. It inserts with ``ON CONFLICT DO NOTHING`` on the act's key, so a
repeated act (a retried job, a replayed request) records nothing and never
fails the act; no savepoint, no extra round trip.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from baton.platform.metering import Usage
from baton.tenants.billing.models import UsageEvent
from baton.tenants.models import Engagement

# What each metric is called on statements and pages, in the order they are shown.
METRICS = {
    "requirement_accepted": "Requirements accepted",
    "po_released": "Purchase orders released",
    "po_line_released": "Order lines released",
    "change_order_released": "Change orders released",
    "supplier_chase_sent": "Supplier chasers sent",
    "document_storage_gb_month": "Document storage (GB-months)",
}

_ENGAGEMENTS = "billing.engagements"


def engagement_id(
    session: Session, provider_id: uuid.UUID, client_id: uuid.UUID
) -> uuid.UUID | None:
    """The engagement between the two, once per transaction (a batch of acts asks often)."""
    cache = session.info.setdefault(_ENGAGEMENTS, {})
    pair = (provider_id, client_id)
    if pair not in cache:
        cache[pair] = session.scalar(
            sa.select(Engagement.id)
            .where(Engagement.provider_id == provider_id, Engagement.client_id == client_id)
            .order_by(Engagement.starts_on.desc())
            .limit(1)
        )
    return cache[pair]


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(UsageEvent)


def record(session: Session, usages: Sequence[Usage]) -> None:
    """Write the usage events whose keys were not metered already, in one INSERT."""
    rows = [
        {
            "id": uuid.uuid4(),
            "created_at": usage.occurred_at,
            "tenant_id": usage.tenant_id,
            "provider_id": usage.provider_id,
            "engagement_id": usage.engagement_id
            or engagement_id(session, usage.provider_id, usage.tenant_id),
            "metric": usage.metric,
            "quantity": usage.quantity,
            "occurred_at": usage.occurred_at,
            "key": usage.key,
            "action": usage.action,
            "entity_type": usage.entity_type,
            "entity_id": usage.entity_id,
            "push_attempts": 0,
        }
        for usage in usages
    ]
    if not rows:
        return
    statement = _insert(session).values(rows)
    session.execute(statement.on_conflict_do_nothing(index_elements=["tenant_id", "key"]))


def record_quantity(
    session: Session,
    *,
    metric: str,
    key: str,
    quantity: Decimal,
    tenant_id: uuid.UUID,
    provider_id: uuid.UUID,
    occurred_at: datetime,
    entity_type: str,
    entity_id: str,
) -> None:
    """A metered quantity that is not one audited act (document storage per month)."""
    record(
        session,
        [
            Usage(
                metric=metric,
                key=key,
                quantity=quantity,
                tenant_id=tenant_id,
                provider_id=provider_id,
                occurred_at=occurred_at,
                action=metric,
                entity_type=entity_type,
                entity_id=entity_id,
            )
        ],
    )
