"""Loading what the measures need, for many subjects of one tenant at once.

A fixed number of statements per batch, whatever its size: the subjects'
rows, their status histories from the audit trail (events whose changes
carry ``status``), reviews, lines, receipts, need-by dates, change orders.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.audit import AuditEvent
from baton.platform.db import among
from baton.procurement.orders.change_models import POChangeOrder
from baton.procurement.orders.issue_models import POIssue
from baton.procurement.orders.models import POLine, POReceipt, PurchaseOrder
from baton.procurement.sla.measures import (
    History,
    IssueFacts,
    LineFacts,
    OrderFacts,
    RequirementFacts,
)
from baton.sourcing.requirements.models import Requirement, RequirementLine, RequirementReview


def histories(
    session: Session, tenant_id: uuid.UUID, entity_type: str, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, History]:
    """Each entity's status changes (moment, status after), oldest first."""
    keys = [str(i) for i in ids]
    found: dict[uuid.UUID, list] = defaultdict(list)
    if not keys:
        return found
    # Only the status change, not the whole diff: an edit's changes can be large.
    rows = session.execute(
        sa.select(AuditEvent.entity_id, AuditEvent.created_at, AuditEvent.changes["status"])
        .where(
            AuditEvent.tenant_id == tenant_id,
            AuditEvent.entity_type == entity_type,
            AuditEvent.entity_id.in_(keys),
        )
        .order_by(AuditEvent.seq)
    )
    for entity_id, at, status in rows:
        if isinstance(status, list) and len(status) == 2 and status[1]:
            found[uuid.UUID(entity_id)].append((at, status[1]))
    return found


def requirements(
    session: Session, tenant_id: uuid.UUID, ids: set[uuid.UUID]
) -> list[tuple[uuid.UUID, RequirementFacts]]:
    """(engagement id, facts) per requirement."""
    if not ids:
        return []
    r = Requirement
    reqs = list(
        session.execute(
            sa.select(
                r.id, r.engagement_id, r.client_reference, r.title, r.supplier_id,
                r.assigned_buyer_id,
            ).where(r.tenant_id == tenant_id, among(session, r.id, ids))
        )
    )  # fmt: skip
    ids = {r.id for r in reqs}
    history = histories(session, tenant_id, "requirement", ids)
    reviews: dict[uuid.UUID, list] = defaultdict(list)
    for review in session.scalars(
        sa.select(RequirementReview)
        .where(
            RequirementReview.tenant_id == tenant_id,
            among(session, RequirementReview.requirement_id, ids),
        )
        .order_by(RequirementReview.created_at)
    ):
        first = (review.reasons or [{}])[0] if review.reasons else {}
        reviews[review.requirement_id].append(
            (review.id, review.decision, first.get("code"), review.created_at)
        )
    orders_of: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for req_id, po_id in session.execute(
        sa.select(POLine.requirement_id, POLine.po_id)
        .where(POLine.tenant_id == tenant_id, among(session, POLine.requirement_id, ids))
        .distinct()
    ):
        orders_of[req_id].add(po_id)
    po_history = histories(
        session, tenant_id, "purchase_order", {p for ps in orders_of.values() for p in ps}
    )
    return [
        (
            req.engagement_id,
            RequirementFacts(
                id=req.id,
                label=f"{req.client_reference} {req.title}"[:240],
                supplier_id=req.supplier_id,
                buyer_id=req.assigned_buyer_id,
                history=history.get(req.id, []),
                reviews=reviews.get(req.id, []),
                order_histories=[po_history.get(p, []) for p in sorted(orders_of[req.id])],
            ),
        )
        for req in reqs
    ]


def orders(
    session: Session, tenant_id: uuid.UUID, ids: set[uuid.UUID]
) -> list[tuple[uuid.UUID, OrderFacts]]:
    if not ids:
        return []
    p = PurchaseOrder
    pos = list(
        session.execute(
            sa.select(p.id, p.engagement_id, p.number, p.supplier_id, p.buyer_id).where(
                p.tenant_id == tenant_id, among(session, p.id, ids)
            )
        )
    )
    ids = {p.id for p in pos}
    history = histories(session, tenant_id, "purchase_order", ids)
    lines: dict[uuid.UUID, list] = defaultdict(list)
    ln = POLine
    for line in session.execute(
        sa.select(
            ln.id, ln.po_id, ln.line_no, ln.quantity, ln.promised_date, ln.schedule,
            ln.requirement_id, ln.requirement_line_id,
        )
        .where(ln.tenant_id == tenant_id, among(session, ln.po_id, ids))
        .order_by(ln.line_no)
    ):  # fmt: skip
        lines[line.po_id].append(line)
    need_by = dict(
        session.execute(
            sa.select(RequirementLine.id, RequirementLine.need_by).where(
                RequirementLine.tenant_id == tenant_id,
                among(
                    session,
                    RequirementLine.id,
                    {ln.requirement_line_id for ls in lines.values() for ln in ls},
                ),
            )
        ).all()
    )
    receipts: dict[tuple[uuid.UUID, int], list] = defaultdict(list)
    for po_id, line_no, on, got, rejected in session.execute(
        sa.select(
            POReceipt.po_id,
            POReceipt.line_no,
            POReceipt.received_on,
            POReceipt.quantity_received,
            POReceipt.quantity_rejected,
        ).where(POReceipt.tenant_id == tenant_id, among(session, POReceipt.po_id, ids))
    ):
        receipts[(po_id, line_no)].append((on, Decimal(got) - Decimal(rejected or 0)))
    changes: dict[uuid.UUID, list] = defaultdict(list)
    for co in session.scalars(
        sa.select(POChangeOrder).where(
            POChangeOrder.tenant_id == tenant_id,
            among(session, POChangeOrder.po_id, ids),
            POChangeOrder.status == "released",
        )
    ):
        changes[co.po_id].append((co.id, co.number, co.cause, co.released_at or co.updated_at))
    found = []
    for po in pos:
        po_lines = lines.get(po.id, [])
        found.append(
            (
                po.engagement_id,
                OrderFacts(
                    id=po.id,
                    number=po.number,
                    supplier_id=po.supplier_id,
                    buyer_id=po.buyer_id,
                    requirement_id=po_lines[0].requirement_id if po_lines else None,
                    history=history.get(po.id, []),
                    lines=[
                        LineFacts(
                            id=ln.id,
                            line_no=ln.line_no,
                            quantity=Decimal(ln.quantity),
                            promised=ln.promised_date or _last_scheduled(ln),
                            need_by=need_by.get(ln.requirement_line_id),
                            receipts=receipts.get((po.id, ln.line_no), []),
                        )
                        for ln in po_lines
                    ],
                    change_orders=changes.get(po.id, []),
                ),
            )
        )
    return found


def _last_scheduled(line):
    from datetime import date

    dates = [s.get("date") for s in line.schedule or [] if s.get("date")]
    return date.fromisoformat(max(dates)) if dates else None


def issues(
    session: Session, tenant_id: uuid.UUID, ids: set[uuid.UUID]
) -> list[tuple[POIssue, History]]:
    if not ids:
        return []
    found = list(
        session.scalars(
            sa.select(POIssue).where(
                POIssue.tenant_id == tenant_id, among(session, POIssue.id, ids)
            )
        )
    )
    history = histories(session, tenant_id, "order_issue", {i.id for i in found})
    return [(issue, history.get(issue.id, [])) for issue in found]


def issue_facts(issue: POIssue, history: History, number: str) -> IssueFacts:
    return IssueFacts(
        id=issue.id,
        label=f"{number} issue {issue.number}: {issue.title}"[:240],
        cause=issue.cause,
        raised_at=issue.created_at,
        history=history,
    )
