"""Purchase orders: the order, its lines, approvals, acknowledgements and receipts.

Every row lives in the client's tenant (the client owns its orders) and carries
the provider that works it, like the handoff rows: the client and that one
provider see it, nobody else.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from baton.platform.db import Base, IdMixin, ProviderOwned, TenantOwned, utcnow

# Imported, not only named: the supplier relationship needs the mapped class
# registered whichever module is imported first.
from baton.sourcing.suppliers.models import Supplier

PO_STATUSES = (
    "draft",
    "pending_approval",
    "approved",
    "released",
    "acknowledged",
    "partially_received",
    "received",
    "closed",
    "cancelled",
)
ACK_OUTCOMES = ("accepted", "changed", "backordered", "rejected")
ACK_SOURCES = ("supplier_link", "email", "phone")


def _lines_join(child: str) -> dict:
    return {
        "primaryjoin": f"and_({child}.po_id == PurchaseOrder.id, {child}.tenant_id == PurchaseOrder.tenant_id)",
        "foreign_keys": f"[{child}.po_id, {child}.tenant_id]",
    }


def _po_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", "po_id"],
        ["purchase_orders.tenant_id", "purchase_orders.id"],
        name=f"fk_{table}_po",
    )


class PurchaseOrder(IdMixin, ProviderOwned, Base):
    __tablename__ = "purchase_orders"

    number: Mapped[str] = mapped_column(sa.String(32))
    engagement_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    supplier_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    currency: Mapped[str] = mapped_column(sa.String(3))
    payment_terms: Mapped[str | None] = mapped_column(sa.String(100))
    incoterms: Mapped[str | None] = mapped_column(sa.String(3))
    ship_to: Mapped[str | None] = mapped_column(sa.Text)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(24), default="draft")
    # Change orders raise it; 0 is the order as first released.
    revision: Mapped[int] = mapped_column(default=0)
    # Optimistic lock: a save names the version it read, a stale one is refused.
    version: Mapped[int] = mapped_column(default=1)
    total: Mapped[Decimal] = mapped_column(sa.Numeric(18, 4), default=Decimal(0))
    buyer_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    required_approvals: Mapped[int] = mapped_column(default=0)
    # Each submission opens a new round of approvals; a rejection ends one.
    approval_round: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    exception_reason: Mapped[str | None] = mapped_column(sa.Text)
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    released_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    # The supplier link of the current revision; a new nonce revokes the old link.
    link_nonce: Mapped[str | None] = mapped_column(sa.String(32))
    link_revoked_at: Mapped[datetime | None]
    pdf_revision_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    # Reminders sent to the supplier, by a buyer or automatically (orders/chasers.py).
    chase_count: Mapped[int] = mapped_column(default=0, server_default="0")
    last_chased_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lines: Mapped[list[POLine]] = relationship(
        order_by="POLine.line_no", cascade="all, delete-orphan", **_lines_join("POLine")
    )
    # For reading the order with its supplier in one statement; never written through.
    supplier: Mapped[Supplier | None] = relationship(
        primaryjoin="and_(foreign(PurchaseOrder.supplier_id) == Supplier.id,"
        " foreign(PurchaseOrder.tenant_id) == Supplier.tenant_id)",
        viewonly=True,
    )

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "number", name="uq_purchase_orders_tenant_number"),
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in PO_STATUSES) + ")", name="status"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "supplier_id"],
            ["suppliers.tenant_id", "suppliers.id"],
            name="fk_purchase_orders_supplier",
        ),
        sa.Index("ix_purchase_orders_provider_status", "provider_id", "status", "created_at"),
        sa.Index("ix_purchase_orders_provider_created", "provider_id", "created_at", "id"),
    )


class POLine(IdMixin, ProviderOwned, Base):
    __tablename__ = "po_lines"

    po_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    line_no: Mapped[int]
    requirement_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    requirement_line_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    # The snapshot line this line traces back to.
    snapshot_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    item_code: Mapped[str | None] = mapped_column(sa.String(64))
    description: Mapped[str] = mapped_column(sa.String(500))
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(18, 4))
    unit: Mapped[str] = mapped_column(sa.String(16))
    unit_price: Mapped[Decimal] = mapped_column(sa.Numeric(18, 4))
    # [{"date": "2027-01-10", "quantity": "40"}, ...]: one or more deliveries.
    schedule: Mapped[list] = mapped_column(sa.JSON, default=list)
    # [{"revision_id", "document_number", "revision_no"}] the line is bought to.
    specs: Mapped[list] = mapped_column(sa.JSON, default=list)
    promised_date: Mapped[date | None]
    received_quantity: Mapped[Decimal] = mapped_column(sa.Numeric(18, 4), default=Decimal(0))
    rejected_quantity: Mapped[Decimal] = mapped_column(sa.Numeric(18, 4), default=Decimal(0))
    spec_outdated: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        _po_fk("po_lines"),
        sa.UniqueConstraint("tenant_id", "po_id", "line_no", name="uq_po_lines_po_line_no"),
    )


class POException(IdMixin, ProviderOwned, Base):
    """A difference between a PO line and the snapshot line it came from, which
    the client accepts (or not) before the order may be released."""

    __tablename__ = "po_exceptions"

    po_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    revision: Mapped[int] = mapped_column(default=0)
    line_no: Mapped[int | None]
    field: Mapped[str] = mapped_column(sa.String(32))
    snapshot_value: Mapped[str | None] = mapped_column(sa.String(500))
    po_value: Mapped[str | None] = mapped_column(sa.String(500))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    decided_at: Mapped[datetime | None]

    __table_args__ = (_po_fk("po_exceptions"),)


class POApproval(IdMixin, ProviderOwned, Base):
    """One client approver's decision on one revision; a person decides once."""

    __tablename__ = "po_approvals"

    po_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    revision: Mapped[int]
    # Rounds restart when a rejected order is submitted again.
    round: Mapped[int] = mapped_column(default=1)
    approver_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    decision: Mapped[str] = mapped_column(sa.String(16))
    comment: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        _po_fk("po_approvals"),
        sa.UniqueConstraint(
            "tenant_id", "po_id", "revision", "round", "approver_id", name="uq_po_approvals_once"
        ),
    )


class POAcknowledgement(IdMixin, ProviderOwned, Base):
    """The supplier's answer to one revision; only one per revision counts."""

    __tablename__ = "po_acknowledgements"

    po_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    revision: Mapped[int]
    source: Mapped[str] = mapped_column(sa.String(16))
    # [{"line_no", "outcome", "promised_date", "quantity", "unit_price", "note"}]
    lines: Mapped[list] = mapped_column(sa.JSON, default=list)
    note: Mapped[str | None] = mapped_column(sa.Text)
    entered_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    document_revision_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    # Changes the supplier proposed wait for the buyer: pending, accepted.
    changes_status: Mapped[str | None] = mapped_column(sa.String(16))

    __table_args__ = (
        _po_fk("po_acknowledgements"),
        sa.UniqueConstraint("tenant_id", "po_id", "revision", name="uq_po_acks_revision"),
    )


class POReceipt(IdMixin, ProviderOwned, Base):
    __tablename__ = "po_receipts"

    po_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    line_no: Mapped[int]
    quantity_received: Mapped[Decimal] = mapped_column(sa.Numeric(18, 4))
    quantity_rejected: Mapped[Decimal] = mapped_column(sa.Numeric(18, 4), default=Decimal(0))
    reject_reason: Mapped[str | None] = mapped_column(sa.String(500))
    reference: Mapped[str | None] = mapped_column(sa.String(100))
    received_on: Mapped[date]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    # The delivery's packing slip (a document revision), and the shipment notice
    # it arrived against; every row of one receipt shares them (migration 0011).
    packing_slip_revision_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    shipment_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)

    __table_args__ = (_po_fk("po_receipts"),)


class ApprovalPolicy(IdMixin, TenantOwned, Base):
    """A client's rules for approving orders: engaged providers read it, the
    client's admin edits it. No row means the defaults below."""

    __tablename__ = "approval_policies"

    currency: Mapped[str] = mapped_column(sa.String(3))
    # Above this total one client approver must approve; above the second, two.
    one_approver_above: Mapped[Decimal] = mapped_column(sa.Numeric(18, 2))
    two_approvers_above: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 2))
    # A change order raising the total by more than this needs approval again.
    change_tolerance_percent: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal(0))
    # How far a receipt may exceed the ordered quantity.
    receipt_tolerance_percent: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal(0))
    # A supplier whose on-time-in-full rate over the last 3 months falls under this
    # is flagged on the client's supplier list (procurement/sla/scorecards.py).
    otif_threshold_percent: Mapped[Decimal] = mapped_column(
        sa.Numeric(5, 1), default=Decimal(90), server_default="90"
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (sa.UniqueConstraint("tenant_id", name="uq_approval_policies_tenant"),)


class PONumberCounter(Base):
    """The last number given per client; gap-free because the row is locked from
    the number's UPDATE until the order's transaction ends."""

    __tablename__ = "po_number_counters"

    tenant_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
