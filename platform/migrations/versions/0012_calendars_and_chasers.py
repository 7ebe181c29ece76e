"""engagements: a business calendar and chaser settings; purchase orders: chasers sent

Revision ID: 0012
Revises: 0008

The calendar (time zone, working days and hours, public holidays by country
and subdivision, the engagement's own days off) is what business hours are
counted on: the supplier chasers now, the SLA clocks next. Engagements are a
directory table (no row-level security, docs/decisions/0002), so the days
off ride along as a JSON list rather than a tenant-owned table of their own.
Every new column has a server default or is nullable, so existing rows keep
working without a backfill.
"""

import sqlalchemy as sa
from alembic import op

from baton.platform.db import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ENGAGEMENT_COLUMNS = (
    "timezone",
    "working_days",
    "day_starts",
    "day_ends",
    "holiday_country",
    "holiday_subdivision",
    "days_off",
    "chase_after_hours",
    "chase_every_hours",
    "chase_max",
    "chase_late_lines",
)


def upgrade() -> None:
    with op.batch_alter_table("engagements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("working_days", sa.String(length=7), server_default="12345", nullable=False)
        )
        batch_op.add_column(
            sa.Column("day_starts", sa.Time(), server_default=sa.text("'09:00:00'"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("day_ends", sa.Time(), server_default=sa.text("'17:00:00'"), nullable=False)
        )
        batch_op.add_column(sa.Column("holiday_country", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("holiday_subdivision", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column("days_off", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("chase_after_hours", sa.Numeric(precision=8, scale=2), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "chase_every_hours",
                sa.Numeric(precision=8, scale=2),
                server_default="24",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("chase_max", sa.Integer(), server_default="3", nullable=False)
        )
        batch_op.add_column(
            sa.Column("chase_late_lines", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("chase_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("last_chased_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.drop_column("last_chased_at")
        batch_op.drop_column("chase_count")
    with op.batch_alter_table("engagements", schema=None) as batch_op:
        for name in reversed(ENGAGEMENT_COLUMNS):
            batch_op.drop_column(name)
