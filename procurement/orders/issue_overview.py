"""What an order's page shows of its issues: the list, and their events merged
into the order's timeline. Two statements whatever the number of issues."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.audit import AuditEvent
from baton.procurement.orders.issue_models import CAUSE_LABELS
from baton.procurement.orders.issue_queries import issues_of
from baton.procurement.orders.issue_states import ORDER_ISSUE
from baton.procurement.orders.models import PurchaseOrder


def for_order(session: Session, po: PurchaseOrder, events: list) -> dict[str, Any]:
    issues = issues_of(session, po)
    if issues:
        issue_events = list(
            session.scalars(
                sa.select(AuditEvent)
                .where(
                    AuditEvent.tenant_id == po.tenant_id,
                    AuditEvent.entity_type == "order_issue",
                    AuditEvent.entity_id.in_([str(i.id) for i in issues]),
                )
                .order_by(AuditEvent.created_at.desc(), AuditEvent.seq.desc())
                .limit(200)
            )
        )
        # Newest first, as events_for gives the order's own: one chain, so seq orders them.
        events = sorted(events + issue_events, key=lambda e: e.seq, reverse=True)
    return {
        "issues": issues,
        "events": events,
        "issue_machine": ORDER_ISSUE,
        "cause_labels": CAUSE_LABELS,
    }
