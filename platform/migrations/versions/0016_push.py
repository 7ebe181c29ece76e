"""push: the pause after Stripe's 429, the daily reconciliations with Stripe

Revision ID: 0016
Revises: 0015

Directory tables (docs/decisions/0002): every query names the provider.
"""

import sqlalchemy as sa
from alembic import op

import baton.platform.db
from baton.platform import rls

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billing_push_pauses",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column(
            "paused_until", baton.platform.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("updated_at", baton.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_billing_push_pauses")),
    )
    op.create_table(
        "billing_reconciliations",
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("ledger_value", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("stripe_value", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("unpushed_value", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("checked_at", baton.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", baton.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["organisations.id"],
            name=op.f("fk_billing_reconciliations_provider_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_reconciliations")),
        sa.UniqueConstraint(
            "provider_id", "day", "period", "metric", name="uq_billing_reconciliations_check"
        ),
    )
    rls.grant_privileges()


def downgrade() -> None:
    op.drop_table("billing_reconciliations")
    op.drop_table("billing_push_pauses")
