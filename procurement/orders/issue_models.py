"""Order issues: a problem on a purchase order (or one of its lines) that the
buyer raises and routes to the client for a decision or to the supplier, and
the thread in which the parties answer.

Rows live in the client's tenant with the provider that works the order, like
every PO table: the client and that one provider see them, the supplier only
through its signed link (and only what was routed to it).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from baton.platform.db import Base, IdMixin, ProviderOwned, utcnow

CAUSE_LABELS = {
    "date": "Supplier cannot meet the date",
    "price": "Price dispute",
    "quality": "Quality hold",
    "specification": "Specification question",
    "other": "Other",
}
ISSUE_CAUSES = tuple(CAUSE_LABELS)
ISSUE_STATUSES = ("open", "with_client", "with_supplier", "answered", "resolved")
ISSUE_PARTIES = ("client", "supplier")
AUTHOR_KINDS = ("provider", "client", "supplier_link")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class POIssue(IdMixin, ProviderOwned, Base):
    __tablename__ = "po_issues"

    po_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    # 1, 2, ... per order: "issue 2 on ACME-000123".
    number: Mapped[int]
    # None: the issue is about the whole order.
    line_no: Mapped[int | None]
    cause: Mapped[str] = mapped_column(sa.String(16))
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    # Who it was last handed to for an answer; None until the buyer routes it.
    routed_to: Mapped[str | None] = mapped_column(sa.String(16))
    raised_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    resolution_note: Mapped[str | None] = mapped_column(sa.Text)
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    resolved_at: Mapped[datetime | None]
    # The raising form's one-time key: the same form sent twice raises one issue.
    form_key: Mapped[str | None] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["tenant_id", "po_id"],
            ["purchase_orders.tenant_id", "purchase_orders.id"],
            name="fk_po_issues_po",
        ),
        sa.UniqueConstraint("tenant_id", "po_id", "number", name="uq_po_issues_po_number"),
        sa.UniqueConstraint("tenant_id", "po_id", "form_key", name="uq_po_issues_form_key"),
        sa.CheckConstraint(_in("status", ISSUE_STATUSES), name="status"),
        sa.CheckConstraint(_in("cause", ISSUE_CAUSES), name="cause"),
        sa.CheckConstraint(
            "routed_to IS NULL OR " + _in("routed_to", ISSUE_PARTIES), name="routed_to"
        ),
        sa.Index("ix_po_issues_provider_status", "provider_id", "status", "updated_at"),
    )


class POIssueMessage(IdMixin, ProviderOwned, Base):
    """One entry of an issue's thread; never changed once written."""

    __tablename__ = "po_issue_messages"

    issue_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    author_kind: Mapped[str] = mapped_column(sa.String(16))
    # The person (provider or client user); None for the supplier's link.
    author_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    # The name as shown: the person, or "Supplier link for ACME-000123".
    author_label: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    document_revision_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    # The supplier reads only what was written to it or by it, never the
    # client's side of the thread.
    shared_with_supplier: Mapped[bool] = mapped_column(default=False)
    # The form's one-time key: a second submit of the same form adds nothing.
    form_key: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["tenant_id", "issue_id"],
            ["po_issues.tenant_id", "po_issues.id"],
            name="fk_po_issue_messages_issue",
        ),
        sa.UniqueConstraint(
            "tenant_id", "issue_id", "form_key", name="uq_po_issue_messages_form_key"
        ),
        sa.CheckConstraint(_in("author_kind", AUTHOR_KINDS), name="author_kind"),
    )
