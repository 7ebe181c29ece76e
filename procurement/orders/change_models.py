"""Change orders and the revisions they make.

A ``POChangeOrder`` holds the buyer's proposed header and lines while the
order's revision in force stays what the supplier and receipts work from;
releasing it writes the proposal onto the order as revision n+1. A
``PORevision`` freezes what each released revision said, so every revision
stays readable and its PDF downloadable after later ones supersede it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from baton.platform.db import Base, IdMixin, ProviderOwned, utcnow
from baton.procurement.orders.models import _po_fk

CHANGE_STATUSES = ("draft", "pending_approval", "approved", "released", "withdrawn")
CHANGE_CAUSES = ("engineering_change", "supplier_change", "client_change")


class POChangeOrder(IdMixin, ProviderOwned, Base):
    __tablename__ = "po_change_orders"

    po_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    # 1, 2, ... per order: "change order 2 of ACME-000123".
    number: Mapped[int]
    # The revision in force when it was drafted; it makes revision base + 1.
    base_revision: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(24), default="draft")
    cause: Mapped[str] = mapped_column(sa.String(24))
    reason: Mapped[str] = mapped_column(sa.Text)
    # {"ship_to", "payment_terms", "incoterms", "notes"} as proposed.
    header: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # [{"line_no", "quantity", "unit_price", "schedule", "specs"}] as proposed.
    lines: Mapped[list] = mapped_column(sa.JSON, default=list)
    # [{"line_no", "field", "label", "before", "after"}] against the revision in force.
    diff: Mapped[list] = mapped_column(sa.JSON, default=list)
    total_before: Mapped[Decimal] = mapped_column(sa.Numeric(18, 4), default=Decimal(0))
    total_after: Mapped[Decimal] = mapped_column(sa.Numeric(18, 4), default=Decimal(0))
    # Why it went to the client (empty: approved on submission).
    material_reasons: Mapped[list] = mapped_column(sa.JSON, default=list)
    # New drift from the handoff: [{"line_no", "field", "snapshot_value", "po_value", "status"}].
    exceptions: Mapped[list] = mapped_column(sa.JSON, default=list)
    required_approvals: Mapped[int] = mapped_column(default=0)
    approval_round: Mapped[int] = mapped_column(default=0)
    # The supplier acknowledgement this change order counters, if any.
    counters_ack_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    # Optimistic lock, as on the order's draft.
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    released_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        _po_fk("po_change_orders"),
        sa.UniqueConstraint("tenant_id", "po_id", "number", name="uq_po_change_orders_number"),
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in CHANGE_STATUSES) + ")", name="status"
        ),
        sa.CheckConstraint(
            "cause IN (" + ", ".join(f"'{s}'" for s in CHANGE_CAUSES) + ")", name="cause"
        ),
    )


class POChangeApproval(IdMixin, ProviderOwned, Base):
    """One client approver's decision on one round of a change order."""

    __tablename__ = "po_change_approvals"

    po_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    change_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    round: Mapped[int]
    approver_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    decision: Mapped[str] = mapped_column(sa.String(16))
    comment: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        _po_fk("po_change_approvals"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "change_id"],
            ["po_change_orders.tenant_id", "po_change_orders.id"],
            name="fk_po_change_approvals_change",
        ),
        sa.UniqueConstraint(
            "tenant_id", "change_id", "round", "approver_id", name="uq_po_change_approvals_once"
        ),
    )


class PORevision(IdMixin, ProviderOwned, Base):
    """What one released revision of an order said, frozen at its release."""

    __tablename__ = "po_revisions"

    po_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    revision: Mapped[int]
    # {"currency", "payment_terms", "incoterms", "ship_to", "notes", "total"}
    header: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # [{"line_no", "item_code", "description", "quantity", "unit", "unit_price",
    #   "schedule", "specs"}]
    lines: Mapped[list] = mapped_column(sa.JSON, default=list)
    total: Mapped[Decimal] = mapped_column(sa.Numeric(18, 4))
    change_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    # Filled by the send_po job once the PDF is stored.
    pdf_revision_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    released_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        _po_fk("po_revisions"),
        sa.UniqueConstraint("tenant_id", "po_id", "revision", name="uq_po_revisions_revision"),
    )
