"""The handoff packet: an approved requirement, its lines, and frozen snapshots."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from baton.platform.db import Base, IdMixin, ProviderOwned, TenantOwned, utcnow

if TYPE_CHECKING:
    from baton.sourcing.suppliers.models import Supplier

STATUSES = (
    "draft",
    "submitted",
    "in_review",
    "returned",
    "accepted",
    "ordered",
    "closed",
    "cancelled",
)
PRIORITIES = ("low", "normal", "high", "urgent")
# What a provider's queue holds: never drafts, nothing finished.
QUEUE_WHERE = "status IN ('submitted', 'in_review', 'returned', 'accepted')"
RETURN_REASONS = {
    "missing_specification": "Missing specification",
    "price_not_valid": "Price not valid",
    "supplier_not_qualified": "Supplier not qualified",
    "date_not_achievable": "Date not achievable",
    "other": "Other",
}


class Requirement(IdMixin, ProviderOwned, Base):
    """provider_id is the engaged provider the client hands this requirement to."""

    __tablename__ = "requirements"

    client_reference: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(200))
    engagement_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    supplier_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    currency: Mapped[str] = mapped_column(sa.String(3))
    payment_terms: Mapped[str | None] = mapped_column(sa.String(100))
    incoterms: Mapped[str | None] = mapped_column(sa.String(3))
    quote_reference: Mapped[str | None] = mapped_column(sa.String(100))
    quote_valid_until: Mapped[date | None]
    ship_to: Mapped[str | None] = mapped_column(sa.Text)
    sourcing_notes: Mapped[str | None] = mapped_column(sa.Text)
    assumptions: Mapped[str | None] = mapped_column(sa.Text)
    priority: Mapped[str] = mapped_column(sa.String(8), default="normal")
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    submitted_at: Mapped[datetime | None]
    # When the provider's handoff-to-release target falls due; the queue sorts by it.
    sla_due_at: Mapped[datetime | None]
    earliest_need_by: Mapped[date | None]
    assigned_buyer_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    claimed_at: Mapped[datetime | None]
    # While returned the clock waits on the client; resubmission moves sla_due_at on by that time.
    returned_at: Mapped[datetime | None]
    current_snapshot_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    ready: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lines: Mapped[list[RequirementLine]] = relationship(
        back_populates="requirement",
        order_by="RequirementLine.line_no",
        primaryjoin="and_(RequirementLine.requirement_id == Requirement.id, RequirementLine.tenant_id == Requirement.tenant_id)",
        foreign_keys="[RequirementLine.requirement_id, RequirementLine.tenant_id]",
        cascade="all, delete-orphan",
    )
    # For eager loading with the requirement (queries.READ_WITH_LINES); written
    # through supplier_id, never through this.
    supplier: Mapped[Supplier | None] = relationship(
        primaryjoin="and_(foreign(Requirement.supplier_id) == Supplier.id, foreign(Requirement.tenant_id) == Supplier.tenant_id)",
        viewonly=True,
    )

    __table_args__ = (
        sa.UniqueConstraint(
            "tenant_id", "client_reference", name="uq_requirements_tenant_reference"
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'in_review', 'returned', 'accepted', 'ordered', 'closed', 'cancelled')",
            name="status",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "supplier_id"],
            ["suppliers.tenant_id", "suppliers.id"],
            name="fk_requirements_supplier",
        ),
        sa.Index("ix_requirements_queue", "provider_id", "status", "sla_due_at"),
        # The provider queue reads these in order and stops after one page.
        sa.Index(
            "ix_requirements_queue_sla",
            "provider_id",
            "sla_due_at",
            "id",
            # Covering, so the due-today count is an index-only scan.
            postgresql_include=["tenant_id", "status", "submitted_at"],
            postgresql_where=sa.text(QUEUE_WHERE),
            sqlite_where=sa.text(QUEUE_WHERE),
        ),
        sa.Index(
            "ix_requirements_queue_need_by",
            "provider_id",
            "earliest_need_by",
            "id",
            postgresql_where=sa.text(QUEUE_WHERE),
            sqlite_where=sa.text(QUEUE_WHERE),
        ),
        sa.Index(
            "ix_requirements_queue_age",
            "provider_id",
            "submitted_at",
            "id",
            postgresql_where=sa.text(QUEUE_WHERE),
            sqlite_where=sa.text(QUEUE_WHERE),
        ),
    )


class RequirementLine(IdMixin, ProviderOwned, Base):
    __tablename__ = "requirement_lines"

    requirement_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    line_no: Mapped[int]
    item_code: Mapped[str | None] = mapped_column(sa.String(64))
    description: Mapped[str] = mapped_column(sa.String(500))
    quantity: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 4))
    unit: Mapped[str | None] = mapped_column(sa.String(16))
    unit_price: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 4))
    need_by: Mapped[date | None]
    # Whether the item must be bought to a specification revision.
    spec_required: Mapped[bool] = mapped_column(default=False)

    requirement: Mapped[Requirement] = relationship(
        back_populates="lines",
        primaryjoin="and_(RequirementLine.requirement_id == Requirement.id, RequirementLine.tenant_id == Requirement.tenant_id)",
        foreign_keys="[RequirementLine.requirement_id, RequirementLine.tenant_id]",
    )
    specs: Mapped[list[RequirementLineSpec]] = relationship(
        primaryjoin="and_(RequirementLineSpec.line_id == RequirementLine.id, RequirementLineSpec.tenant_id == RequirementLine.tenant_id)",
        foreign_keys="[RequirementLineSpec.line_id, RequirementLineSpec.tenant_id]",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["tenant_id", "requirement_id"],
            ["requirements.tenant_id", "requirements.id"],
            name="fk_requirement_lines_requirement",
        ),
        sa.UniqueConstraint(
            "tenant_id",
            "requirement_id",
            "line_no",
            name="uq_requirement_lines_requirement_line_no",
        ),
    )


class RequirementLineSpec(IdMixin, ProviderOwned, Base):
    """The specification revision a line must be bought to."""

    __tablename__ = "requirement_line_specs"

    line_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    revision_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)

    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["tenant_id", "line_id"],
            ["requirement_lines.tenant_id", "requirement_lines.id"],
            name="fk_line_specs_line",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "revision_id"],
            ["document_revisions.tenant_id", "document_revisions.id"],
            name="fk_line_specs_revision",
        ),
        sa.UniqueConstraint(
            "tenant_id", "line_id", "revision_id", name="uq_line_specs_line_revision"
        ),
    )


class HandoffSnapshot(IdMixin, ProviderOwned, Base):
    """Header and lines frozen at submission, with the SHA-256 of their canonical JSON."""

    __tablename__ = "handoff_snapshots"

    requirement_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    version: Mapped[int]
    payload: Mapped[dict] = mapped_column(sa.JSON)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)

    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["tenant_id", "requirement_id"],
            ["requirements.tenant_id", "requirements.id"],
            name="fk_snapshots_requirement",
        ),
        # Numbered per provider: one moved to another provider starts at v1 there.
        sa.UniqueConstraint(
            "tenant_id",
            "requirement_id",
            "provider_id",
            "version",
            name="uq_snapshots_requirement_version",
        ),
    )


class RequirementReview(IdMixin, ProviderOwned, Base):
    """A provider's decision on a snapshot: accepted, or returned with reasons."""

    __tablename__ = "requirement_reviews"

    requirement_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    snapshot_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    decision: Mapped[str] = mapped_column(sa.String(16))
    # [{"code": "missing_specification", "field": "lines[2].specs", "comment": "..."}]
    reasons: Mapped[list] = mapped_column(sa.JSON, default=list)
    comment: Mapped[str | None] = mapped_column(sa.Text)
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)

    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["tenant_id", "requirement_id"],
            ["requirements.tenant_id", "requirements.id"],
            name="fk_reviews_requirement",
        ),
    )


class RequirementImport(IdMixin, TenantOwned, Base):
    """An uploaded import file waiting for its background job; only the client
    reads it (no provider policy), and the job deletes it when done."""

    __tablename__ = "requirement_imports"

    task_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    submit: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
