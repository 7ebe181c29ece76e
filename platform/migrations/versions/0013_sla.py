"""SLA: targets, credits and fee on engagements; measures, monthly figures, credits, marks

Revision ID: 0013
Revises: 0012

The targets ride on the engagement (a directory table, like its calendar);
the rollup's tables are the client's rows worked by one provider, under the
same row-level security as every order table. ``sla_rollup_marks`` holds no
tenant data (a tenant id and a sequence number) and only the rollup's
service role touches it (forced row-level security all the same).
"""

import sqlalchemy as sa
from alembic import op

from baton.platform import rls
from baton.platform.db import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLES = ("sla_measures", "sla_monthly", "sla_credits")
HOURS = sa.Numeric(precision=14, scale=6)


def _common() -> list:
    return [
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("engagement_id", sa.Uuid(), nullable=False),
    ]


def _indexes(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_id"), ["id"], unique=False)
        batch_op.create_index(batch_op.f(f"ix_{table}_provider_id"), ["provider_id"], unique=False)


def upgrade() -> None:
    with op.batch_alter_table("engagements", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sla_targets", sa.JSON(), server_default=sa.text("'{}'"), nullable=False)
        )
        batch_op.add_column(sa.Column("monthly_fee", sa.Numeric(18, 2), nullable=True))
        batch_op.add_column(sa.Column("fee_currency", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("credit_cap_percent", sa.Numeric(6, 2), nullable=True))

    op.create_table(
        "sla_measures",
        *_common(),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("subject_label", sa.String(length=240), nullable=False),
        sa.Column("po_id", sa.Uuid(), nullable=True),
        sa.Column("requirement_id", sa.Uuid(), nullable=True),
        sa.Column("supplier_id", sa.Uuid(), nullable=True),
        sa.Column("buyer_id", sa.Uuid(), nullable=True),
        sa.Column("cause", sa.String(length=32), nullable=True),
        sa.Column("period", sa.Date(), nullable=True),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("elapsed_hours", HOURS, nullable=True),
        sa.Column("provider_hours", HOURS, nullable=True),
        sa.Column("client_hours", HOURS, nullable=True),
        sa.Column("supplier_hours", HOURS, nullable=True),
        sa.Column("within", sa.Boolean(), nullable=True),
        sa.Column("owner_met", sa.Boolean(), nullable=True),
        sa.Column("breach_party", sa.String(length=16), nullable=True),
        sa.Column("in_full", sa.Boolean(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("on_time_need_by", sa.Boolean(), nullable=True),
        sa.Column("value", sa.Numeric(14, 4), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_sla_measures")),
        sa.UniqueConstraint("tenant_id", "metric", "subject_id", name="uq_sla_measures_subject"),
    )
    _indexes("sla_measures")
    with op.batch_alter_table("sla_measures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sla_measures_period", ["tenant_id", "engagement_id", "period", "metric"]
        )
        batch_op.create_index("ix_sla_measures_subject", ["tenant_id", "subject_id"])
        batch_op.create_index("ix_sla_measures_due", ["due_at"])
        batch_op.create_index("ix_sla_measures_supplier", ["tenant_id", "supplier_id", "period"])

    counts = [
        "items",
        "judged",
        "within",
        "owner_missed",
        "breaches_provider",
        "breaches_client",
        "breaches_supplier",
        "in_full",
        "on_time",
        "on_time_need_by",
        "need_by_judged",
    ]
    op.create_table(
        "sla_monthly",
        *_common(),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("cause", sa.String(length=32), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in counts],
        sa.Column("p50_hours", HOURS, nullable=True),
        sa.Column("p90_hours", HOURS, nullable=True),
        sa.Column("provider_hours", HOURS, nullable=True),
        sa.Column("client_hours", HOURS, nullable=True),
        sa.Column("supplier_hours", HOURS, nullable=True),
        sa.Column("value_sum", sa.Numeric(18, 4), nullable=True),
        sa.Column("value_mean", sa.Numeric(14, 4), nullable=True),
        sa.Column("value_stddev", sa.Numeric(14, 4), nullable=True),
        sa.Column("computed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_sla_monthly")),
        sa.UniqueConstraint(
            "tenant_id", "engagement_id", "period", "metric", "cause", name="uq_sla_monthly_key"
        ),
    )
    _indexes("sla_monthly")
    with op.batch_alter_table("sla_monthly", schema=None) as batch_op:
        batch_op.create_index("ix_sla_monthly_provider_period", ["provider_id", "period"])

    op.create_table(
        "sla_credits",
        *_common(),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("missed", sa.JSON(), nullable=False),
        sa.Column("credit_percent", sa.Numeric(6, 2), nullable=False),
        sa.Column("fee", sa.Numeric(18, 2), nullable=True),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("computed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_sla_credits")),
        sa.UniqueConstraint("tenant_id", "engagement_id", "period", name="uq_sla_credits_key"),
    )
    _indexes("sla_credits")

    op.create_table(
        "sla_rollup_marks",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("rolled_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_sla_rollup_marks")),
    )

    for table in TABLES:
        rls.enable(table, "provider")
    # Only the rollup's service role (which bypasses policies) reads the marks;
    # a later migration's blanket GRANT still meets forced row-level security.
    rls.enable("sla_rollup_marks", "chain_head")
    rls.grant_privileges()
    if rls.is_postgres() and rls.role_exists(rls.APP_ROLE):
        op.execute(f"REVOKE ALL ON sla_rollup_marks FROM {rls.APP_ROLE}")


def downgrade() -> None:
    op.drop_table("sla_rollup_marks")
    for table in reversed(TABLES):
        op.drop_table(table)
    with op.batch_alter_table("engagements", schema=None) as batch_op:
        for name in ("credit_cap_percent", "fee_currency", "monthly_fee", "sla_targets"):
            batch_op.drop_column(name)
