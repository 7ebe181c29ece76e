"""Suppliers: client-owned reference data that sourcing qualifies."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from baton.platform.db import Base, IdMixin, TenantOwned, utcnow

QUALIFICATION_STATUSES = ("qualified", "conditional", "suspended", "disqualified")
INCOTERMS = ("EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF")


class Supplier(IdMixin, TenantOwned, Base):
    __tablename__ = "suppliers"

    name: Mapped[str] = mapped_column(sa.String(200))
    code: Mapped[str] = mapped_column(sa.String(32))
    contact_name: Mapped[str | None] = mapped_column(sa.String(200))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(64))
    address: Mapped[str | None] = mapped_column(sa.Text)
    country: Mapped[str | None] = mapped_column(sa.String(2))
    currency: Mapped[str] = mapped_column(sa.String(3))
    payment_terms: Mapped[str | None] = mapped_column(sa.String(100))
    incoterms: Mapped[str | None] = mapped_column(sa.String(3))
    categories: Mapped[list] = mapped_column(sa.JSON, default=list)
    qualification_status: Mapped[str] = mapped_column(sa.String(16), default="qualified")
    qualified_until: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "code", name="uq_suppliers_tenant_code"),
        sa.CheckConstraint(
            "qualification_status IN ('qualified', 'conditional', 'suspended', 'disqualified')",
            name="qualification_status",
        ),
    )

    def qualification_lapsed(self, today: date) -> bool:
        """Qualified on paper but past its date: shown as lapsed wherever it is used."""
        return self.qualified_until is not None and self.qualified_until < today

    def is_usable(self, today: date) -> bool:
        return self.qualification_status in (
            "qualified",
            "conditional",
        ) and not self.qualification_lapsed(today)
