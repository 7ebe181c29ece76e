"""Reading order issues as each side may: the provider's own, the client's
all (of its submitted orders), the supplier only what was routed to it."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.db import among
from baton.platform.errors import NotFound
from baton.platform.inputs import page_from
from baton.procurement.orders.issue_models import POIssue, POIssueMessage
from baton.procurement.orders.issue_states import ORDER_ISSUE
from baton.procurement.orders.models import PurchaseOrder
from baton.sourcing.documents.models import DocumentRevision
from baton.tenants.services import engaged_client_ids

PER_PAGE = 50
WAITING_CHOICES = ("provider", "client", "supplier")


def provider_scope(session: Session, provider_id: uuid.UUID) -> list:
    return [
        POIssue.provider_id == provider_id,
        among(session, POIssue.tenant_id, engaged_client_ids(session, provider_id)),
    ]


def client_scope(tenant_id: uuid.UUID) -> list:
    return [POIssue.tenant_id == tenant_id]


def _one(session: Session, where: list, issue_id: uuid.UUID, lock: bool) -> POIssue:
    stmt = sa.select(POIssue).where(POIssue.id == issue_id, *where)
    if lock:
        stmt = stmt.with_for_update()
    issue = session.scalar(stmt)
    if issue is None:
        raise NotFound("No such order issue.")
    return issue


def get_for_provider(
    session: Session, provider_id: uuid.UUID, issue_id: uuid.UUID, *, lock: bool = False
) -> POIssue:
    return _one(session, provider_scope(session, provider_id), issue_id, lock)


def get_for_client(
    session: Session, tenant_id: uuid.UUID, issue_id: uuid.UUID, *, lock: bool = False
) -> POIssue:
    return _one(session, client_scope(tenant_id), issue_id, lock)


def get_on_order(
    session: Session, po: PurchaseOrder, issue_id: uuid.UUID, *, lock: bool = False
) -> POIssue:
    """An issue of this one order (the supplier's link, the API's nested paths)."""
    return _one(
        session, [POIssue.tenant_id == po.tenant_id, POIssue.po_id == po.id], issue_id, lock
    )


def order_of(session: Session, issue: POIssue) -> PurchaseOrder:
    from baton.procurement.orders.queries import WITH_LINES

    return session.scalar(
        sa.select(PurchaseOrder)
        .where(PurchaseOrder.tenant_id == issue.tenant_id, PurchaseOrder.id == issue.po_id)
        .options(*WITH_LINES)
    )


def issues_of(session: Session, po: PurchaseOrder) -> list[POIssue]:
    return list(
        session.scalars(
            sa.select(POIssue)
            .where(POIssue.tenant_id == po.tenant_id, POIssue.po_id == po.id)
            .order_by(POIssue.number)
        )
    )


@dataclass
class Thread:
    """Messages of some issues, with their attachments, in one read."""

    messages: dict[uuid.UUID, list[POIssueMessage]] = field(default_factory=dict)
    attachments: dict[uuid.UUID, DocumentRevision] = field(default_factory=dict)

    def of(self, issue: POIssue) -> list[POIssueMessage]:
        return self.messages.get(issue.id, [])


def threads(session: Session, issues: list[POIssue], *, supplier_only: bool = False) -> Thread:
    found = Thread()
    if not issues:
        return found
    stmt = sa.select(POIssueMessage).where(
        POIssueMessage.tenant_id.in_({i.tenant_id for i in issues}),
        POIssueMessage.issue_id.in_([i.id for i in issues]),
    )
    if supplier_only:
        stmt = stmt.where(POIssueMessage.shared_with_supplier.is_(True))
    rows = list(session.scalars(stmt.order_by(POIssueMessage.created_at, POIssueMessage.id)))
    for m in rows:
        found.messages.setdefault(m.issue_id, []).append(m)
    revision_ids = {m.document_revision_id for m in rows if m.document_revision_id}
    if revision_ids:
        found.attachments = {
            r.id: r
            for r in session.scalars(
                sa.select(DocumentRevision).where(
                    DocumentRevision.tenant_id.in_({i.tenant_id for i in issues}),
                    DocumentRevision.id.in_(revision_ids),
                )
            )
        }
    return found


def for_supplier(session: Session, po: PurchaseOrder) -> tuple[list[POIssue], Thread]:
    """What the supplier's link shows: issues routed to the supplier, and only
    the messages written to it or by it."""
    issues = [i for i in issues_of(session, po) if i.routed_to == "supplier"]
    return issues, threads(session, issues, supplier_only=True)


def message_of(
    session: Session, issue: POIssue, message_id: uuid.UUID, *, supplier: bool = False
) -> POIssueMessage:
    stmt = sa.select(POIssueMessage).where(
        POIssueMessage.tenant_id == issue.tenant_id,
        POIssueMessage.issue_id == issue.id,
        POIssueMessage.id == message_id,
    )
    if supplier:
        stmt = stmt.where(POIssueMessage.shared_with_supplier.is_(True))
    message = session.scalar(stmt)
    if message is None:
        raise NotFound("No such message.")
    return message


def message_with_key(session: Session, issue: POIssue, form_key: str) -> POIssueMessage | None:
    return session.scalar(
        sa.select(POIssueMessage).where(
            POIssueMessage.tenant_id == issue.tenant_id,
            POIssueMessage.issue_id == issue.id,
            POIssueMessage.form_key == form_key,
        )
    )


def list_issues(
    session: Session,
    where: list,
    *,
    status: str | None = None,
    waiting: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> tuple[list[POIssue], bool]:
    stmt = sa.select(POIssue).where(*where)
    if status:
        stmt = stmt.where(POIssue.status.in_(ORDER_ISSUE.statuses_for(status)))
    if waiting:
        stmt = stmt.where(POIssue.status.in_(ORDER_ISSUE.waiting_on(waiting)))
    rows = list(
        session.scalars(
            stmt.order_by(POIssue.updated_at.desc(), POIssue.id)
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    return rows[:per_page], len(rows) > per_page


def list_from_args(session: Session, where: list, args) -> dict:
    """A list page as the query string asks; unknown filters are dropped, not fatal."""
    status = (args.get("status") or "").strip()
    if status and not ORDER_ISSUE.is_known_filter(status):
        status = ""
    waiting = (args.get("waiting") or "").strip()
    if waiting not in WAITING_CHOICES:
        waiting = ""
    page = page_from(args.get("page"))
    issues, has_next = list_issues(
        session, where, status=status or None, waiting=waiting or None, page=page
    )
    return {
        "issues": issues,
        "has_next": has_next,
        "page": page,
        "status": status,
        "waiting": waiting,
        "orders": orders_by_id(session, issues),
    }


def orders_by_id(session: Session, issues: list[POIssue]) -> dict[uuid.UUID, PurchaseOrder]:
    if not issues:
        return {}
    return {
        po.id: po
        for po in session.scalars(
            sa.select(PurchaseOrder).where(
                PurchaseOrder.tenant_id.in_({i.tenant_id for i in issues}),
                PurchaseOrder.id.in_({i.po_id for i in issues}),
            )
        )
    }


def waiting_counts(session: Session, where: list) -> dict[str, int]:
    """Unresolved issues by whom they wait on: {"provider": 2, "client": 1, ...}."""
    rows = session.execute(
        sa.select(POIssue.status, sa.func.count())
        .where(*where, POIssue.status.in_(ORDER_ISSUE.group("unresolved")))
        .group_by(POIssue.status)
    )
    counts: Counter[str] = Counter()
    for status, n in rows:
        counts[ORDER_ISSUE.waits_on(status) or "nobody"] += n
    return {party: counts.get(party, 0) for party in WAITING_CHOICES} | {
        "total": sum(counts.values())
    }
