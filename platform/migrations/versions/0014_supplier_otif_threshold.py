"""approval_policies: the client's OTIF threshold for flagging suppliers

Revision ID: 0014
Revises: 0013

A supplier whose on-time-in-full rate over the last three months falls
under the threshold is flagged on the client's supplier list. It sits with
the client's other procurement rules on its approval policy (a tenant-owned
table with row-level security already); the server default keeps existing
rows valid without a backfill.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("approval_policies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "otif_threshold_percent",
                sa.Numeric(precision=5, scale=1),
                server_default="90",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("approval_policies", schema=None) as batch_op:
        batch_op.drop_column("otif_threshold_percent")
