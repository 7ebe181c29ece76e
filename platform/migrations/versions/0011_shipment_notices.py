"""shipment notices, and packing slips on receipts

Revision ID: 0011
Revises: 0008

po_shipments holds what a supplier said it shipped (carrier, tracking, dates,
quantities per line as JSON, the packing slip's document revision), one row
per notice, unique per order by its idempotency key. po_receipts gains the
packing slip of the delivery and the notice it arrived against, both
nullable: receipts entered before this migration have neither.
"""

from alembic import op
import sqlalchemy as sa
import baton.platform.db
from baton.platform import rls

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "po_shipments",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("po_id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=100), nullable=True),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("shipped_on", sa.Date(), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("packing_slip_revision_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("entered_by_id", sa.Uuid(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", baton.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "source IN ('supplier_link', 'email', 'phone')", name=op.f("ck_po_shipments_source")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "po_id"],
            ["purchase_orders.tenant_id", "purchase_orders.id"],
            name="fk_po_shipments_po",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_po_shipments")),
        sa.UniqueConstraint(
            "tenant_id", "po_id", "idempotency_key", name="uq_po_shipments_idempotency"
        ),
    )
    with op.batch_alter_table("po_shipments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_po_shipments_id"), ["id"], unique=False)
        batch_op.create_index(batch_op.f("ix_po_shipments_po_id"), ["po_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_po_shipments_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(
            "ix_po_shipments_provider_expected", ["provider_id", "expected_on"], unique=False
        )

    with op.batch_alter_table("po_receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("packing_slip_revision_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("shipment_id", sa.Uuid(), nullable=True))

    # A notice is the client's row worked by one provider, like the order it answers.
    rls.enable("po_shipments", "provider")
    rls.grant_privileges()


def downgrade() -> None:
    with op.batch_alter_table("po_receipts", schema=None) as batch_op:
        batch_op.drop_column("shipment_id")
        batch_op.drop_column("packing_slip_revision_id")
    with op.batch_alter_table("po_shipments", schema=None) as batch_op:
        batch_op.drop_index("ix_po_shipments_provider_expected")
        batch_op.drop_index(batch_op.f("ix_po_shipments_provider_id"))
        batch_op.drop_index(batch_op.f("ix_po_shipments_po_id"))
        batch_op.drop_index(batch_op.f("ix_po_shipments_id"))
    op.drop_table("po_shipments")
