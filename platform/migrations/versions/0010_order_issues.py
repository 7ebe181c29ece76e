"""order issues: po_issues and their threads, po_issue_messages

Revision ID: 0010
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa
import baton.platform.db
from baton.platform import rls

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ("po_issues", "po_issue_messages")


def upgrade() -> None:
    op.create_table(
        "po_issues",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("po_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=True),
        sa.Column("cause", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("routed_to", sa.String(length=16), nullable=True),
        sa.Column("raised_by_id", sa.Uuid(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("resolved_by_id", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", baton.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("form_key", sa.String(length=64), nullable=True),
        sa.Column("updated_at", baton.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", baton.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'with_client', 'with_supplier', 'answered', 'resolved')",
            name=op.f("ck_po_issues_status"),
        ),
        sa.CheckConstraint(
            "cause IN ('date', 'price', 'quality', 'specification', 'other')",
            name=op.f("ck_po_issues_cause"),
        ),
        sa.CheckConstraint(
            "routed_to IS NULL OR routed_to IN ('client', 'supplier')",
            name=op.f("ck_po_issues_routed_to"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "po_id"],
            ["purchase_orders.tenant_id", "purchase_orders.id"],
            name="fk_po_issues_po",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_po_issues")),
        sa.UniqueConstraint("tenant_id", "po_id", "form_key", name="uq_po_issues_form_key"),
        sa.UniqueConstraint("tenant_id", "po_id", "number", name="uq_po_issues_po_number"),
    )
    with op.batch_alter_table("po_issues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_po_issues_id"), ["id"], unique=False)
        batch_op.create_index(batch_op.f("ix_po_issues_po_id"), ["po_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_po_issues_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(
            "ix_po_issues_provider_status", ["provider_id", "status", "updated_at"], unique=False
        )

    op.create_table(
        "po_issue_messages",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("issue_id", sa.Uuid(), nullable=False),
        sa.Column("author_kind", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("author_label", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("document_revision_id", sa.Uuid(), nullable=True),
        sa.Column("shared_with_supplier", sa.Boolean(), nullable=False),
        sa.Column("form_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", baton.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "author_kind IN ('provider', 'client', 'supplier_link')",
            name=op.f("ck_po_issue_messages_author_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "issue_id"],
            ["po_issues.tenant_id", "po_issues.id"],
            name="fk_po_issue_messages_issue",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_po_issue_messages")),
        sa.UniqueConstraint(
            "tenant_id", "issue_id", "form_key", name="uq_po_issue_messages_form_key"
        ),
    )
    with op.batch_alter_table("po_issue_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_po_issue_messages_id"), ["id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_po_issue_messages_issue_id"), ["issue_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_po_issue_messages_provider_id"), ["provider_id"], unique=False
        )

    # The client's rows worked by one provider, like the other order tables.
    for table in TABLES:
        rls.enable(table, "provider")
    rls.grant_privileges()


def downgrade() -> None:
    with op.batch_alter_table("po_issue_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_po_issue_messages_provider_id"))
        batch_op.drop_index(batch_op.f("ix_po_issue_messages_issue_id"))
        batch_op.drop_index(batch_op.f("ix_po_issue_messages_id"))
    op.drop_table("po_issue_messages")
    with op.batch_alter_table("po_issues", schema=None) as batch_op:
        batch_op.drop_index("ix_po_issues_provider_status")
        batch_op.drop_index(batch_op.f("ix_po_issues_provider_id"))
        batch_op.drop_index(batch_op.f("ix_po_issues_po_id"))
        batch_op.drop_index(batch_op.f("ix_po_issues_id"))
    op.drop_table("po_issues")
