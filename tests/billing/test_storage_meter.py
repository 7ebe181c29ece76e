"""Document storage: GB-months per client and provider for a month, once."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa

from baton.sourcing.documents import storage_meter
from baton.sourcing.documents.models import Document, DocumentRevision
from baton.tenants.billing.models import UsageEvent
from tests.support import requirements as h

GB = 2**30


def _document(session, world, provider: str | None, size: int, at: datetime) -> None:
    doc_id = uuid.uuid4()
    tenant = world.orgs["acme"]
    provider_id = world.orgs[provider] if provider else None
    session.add(
        Document(
            id=doc_id,
            tenant_id=tenant,
            provider_id=provider_id,
            kind="po_pdf",
            title="PO",
            number=f"D-{doc_id.hex[:6]}",
            latest_revision_no=1,
            created_at=at,
        )
    )
    session.flush()
    session.add(
        DocumentRevision(
            id=uuid.uuid4(),
            tenant_id=tenant,
            provider_id=provider_id,
            document_id=doc_id,
            revision_no=1,
            filename="po.pdf",
            content_type="application/pdf",
            size=size,
            sha256="0" * 64,
            storage_key=f"k/{doc_id}",
            created_at=at,
        )
    )


def test_storage_is_billed_by_the_fraction_of_the_month_stored_once(app, world):
    with h.service_session(app) as session:
        # Stored all April: 2 GB-months; from mid-April (day 16 of 30): half of 1 GB.
        _document(session, world, "north", 2 * GB, datetime(2026, 3, 20, tzinfo=UTC))
        _document(session, world, "north", GB, datetime(2026, 4, 16, tzinfo=UTC))
        # The client's own drawing is billed to no provider; May's upload not in April.
        _document(session, world, None, 5 * GB, datetime(2026, 4, 1, tzinfo=UTC))
        _document(session, world, "north", GB, datetime(2026, 5, 1, tzinfo=UTC))
    for _ in range(2):
        with h.service_session(app) as session:
            storage_meter.meter_month(session, date(2026, 4, 1))
    with h.service_session(app) as session:
        rows = session.scalars(
            sa.select(UsageEvent).where(
                UsageEvent.tenant_id == world.orgs["acme"],
                UsageEvent.metric == "document_storage_gb_month",
            )
        ).all()
    assert [(r.provider_id, r.quantity) for r in rows] == [
        (world.orgs["north"], Decimal("2.500000"))
    ]
    assert rows[0].key == (f"document_storage:{world.orgs['acme']}:{world.orgs['north']}:2026-04")
    assert rows[0].occurred_at.month == 4
