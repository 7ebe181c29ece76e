"""Shipment notices (ASN): what the supplier says it has sent, before it arrives.

A notice does not change the order's status: the order moves with receipts
(goods counted at the dock), never with the supplier's word that they are on
the way. A notice is recorded so the buyer sees what is coming and so the
follow-up can tell when one is overdue (its expected arrival passed without
the goods being received; see ``shipments.overdue_shipments``).

The shipped quantities are a JSON list on the notice rather than a table of
their own: a notice is written once and never edited, it is always read
whole with its header (the order page, the supplier's page, the API), and
the sums the rules need ("already shipped" per line) are taken over the few
notices of one order, in Python, after one query. Nothing queries the lines
of notices across orders, which is what a table would be for.
"""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from baton.platform.db import Base, IdMixin, ProviderOwned

SHIPMENT_SOURCES = ("supplier_link", "email", "phone")


class POShipment(IdMixin, ProviderOwned, Base):
    __tablename__ = "po_shipments"

    po_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    # The order revision the supplier shipped against.
    revision: Mapped[int]
    carrier: Mapped[str | None] = mapped_column(sa.String(100))
    tracking_number: Mapped[str | None] = mapped_column(sa.String(100))
    shipped_on: Mapped[date]
    expected_on: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(sa.Text)
    # [{"line_no": 1, "quantity": "60"}]: decimal strings, only lines in this shipment.
    lines: Mapped[list] = mapped_column(sa.JSON, default=list)
    packing_slip_revision_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    source: Mapped[str] = mapped_column(sa.String(16))
    entered_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    # The form's nonce (or the API caller's key): a second submit finds the first.
    idempotency_key: Mapped[str] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["tenant_id", "po_id"],
            ["purchase_orders.tenant_id", "purchase_orders.id"],
            name="fk_po_shipments_po",
        ),
        sa.UniqueConstraint(
            "tenant_id", "po_id", "idempotency_key", name="uq_po_shipments_idempotency"
        ),
        sa.CheckConstraint(
            "source IN (" + ", ".join(f"'{s}'" for s in SHIPMENT_SOURCES) + ")", name="source"
        ),
        # The follow-up's "expected arrival passed" reads by provider and date.
        sa.Index("ix_po_shipments_provider_expected", "provider_id", "expected_on"),
    )
