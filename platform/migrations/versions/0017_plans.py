"""plans: each plan period keeps the terms it ran on (currency, base fee, prices)

Revision ID: 0017
Revises: 0016

Editing a plan closes its open periods and opens new ones with the new terms,
so a past month's statement never changes.
"""

import sqlalchemy as sa
from alembic import op


revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("billing_plan_periods", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("currency", sa.String(length=3), nullable=False, server_default="EUR")
        )
        batch_op.add_column(
            sa.Column(
                "base_fee", sa.Numeric(precision=18, scale=4), nullable=False, server_default="0"
            )
        )
        batch_op.add_column(sa.Column("prices", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("billing_plan_periods", schema=None) as batch_op:
        batch_op.drop_column("prices")
        batch_op.drop_column("base_fee")
        batch_op.drop_column("currency")
