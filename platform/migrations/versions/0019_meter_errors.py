"""meter errors: why Stripe refused a usage event it had accepted

Revision ID: 0019
Revises: 0018

``usage_events.push_error`` keeps the reason Stripe gave (its error code and
message, from a ``v1.billing.meter.error_report_triggered`` event) for an
event it took on the meter event stream and then dropped. Such a row is
unpushed again and left for people (``push_attempts`` at its limit).
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("push_error", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.drop_column("push_error")
