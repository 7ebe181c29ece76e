"""billing: the usage ledger, plans, billing accounts, Stripe events, credit grants

Revision ID: 0015
Revises: 0014

The ledger (``usage_events``) and the credits passed to Stripe are rows of
the client's tenant that one provider's work caused, under the "billing"
row-level-security policy: the provider reads all of its own, the client its
share. Plans, accounts, plan periods and Stripe's events are directory
tables (docs/decisions/0002): no tenant data, every query names the provider.
"""

import sqlalchemy as sa
from alembic import op

import baton.platform.db
from baton.platform import rls


revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billing_credit_grants",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("sla_credit_id", sa.Uuid(), nullable=False),
        sa.Column("engagement_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("stripe_transaction_id", sa.String(length=64), nullable=True),
        sa.Column("applied_at", baton.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", baton.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_billing_credit_grants")),
        sa.UniqueConstraint("tenant_id", "sla_credit_id", name="uq_credit_grants_credit"),
    )
    with op.batch_alter_table("billing_credit_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_billing_credit_grants_id"), ["id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_billing_credit_grants_provider_id"), ["provider_id"], unique=False
        )

    op.create_table(
        "billing_plans",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("base_fee", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("prices", sa.JSON(), nullable=False),
        sa.Column("stripe_price_id", sa.String(length=64), nullable=True),
        sa.Column("archived_at", baton.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", baton.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", baton.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_plans")),
        sa.UniqueConstraint("code", name=op.f("uq_billing_plans_code")),
    )
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column(
            "stripe_created_at", baton.platform.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("received_at", baton.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=True),
        sa.Column("processed_at", baton.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
    )
    op.create_table(
        "usage_events",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("engagement_id", sa.Uuid(), nullable=True),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("occurred_at", baton.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("pushed_at", baton.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("push_attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", baton.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_usage_events")),
        sa.UniqueConstraint("tenant_id", "key", name="uq_usage_events_key"),
    )
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usage_events_id"), ["id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_usage_events_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(
            "ix_usage_events_provider_time", ["provider_id", "occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_usage_events_unpushed", ["pushed_at", "occurred_at"], unique=False
        )

    op.create_table(
        "billing_accounts",
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stripe_customer_id", sa.String(length=64), nullable=True),
        sa.Column("stripe_subscription_id", sa.String(length=64), nullable=True),
        sa.Column("past_due_since", baton.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status_event_at", baton.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", baton.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", baton.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["billing_plans.id"],
            name=op.f("fk_billing_accounts_plan_id_billing_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["organisations.id"],
            name=op.f("fk_billing_accounts_provider_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_accounts")),
        sa.UniqueConstraint("provider_id", name=op.f("uq_billing_accounts_provider_id")),
        sa.UniqueConstraint(
            "stripe_customer_id", name=op.f("uq_billing_accounts_stripe_customer_id")
        ),
    )
    op.create_table(
        "billing_plan_periods",
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", baton.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", baton.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", baton.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["billing_plans.id"],
            name=op.f("fk_billing_plan_periods_plan_id_billing_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["organisations.id"],
            name=op.f("fk_billing_plan_periods_provider_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_plan_periods")),
    )
    with op.batch_alter_table("billing_plan_periods", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billing_plan_periods_provider_id"), ["provider_id"], unique=False
        )

    for table in ("usage_events", "billing_credit_grants"):
        rls.enable(table, "billing")
    rls.grant_privileges()


def downgrade() -> None:
    with op.batch_alter_table("billing_plan_periods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billing_plan_periods_provider_id"))

    op.drop_table("billing_plan_periods")
    op.drop_table("billing_accounts")
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_events_unpushed")
        batch_op.drop_index("ix_usage_events_provider_time")
        batch_op.drop_index(batch_op.f("ix_usage_events_provider_id"))
        batch_op.drop_index(batch_op.f("ix_usage_events_id"))

    op.drop_table("usage_events")
    op.drop_table("stripe_events")
    op.drop_table("billing_plans")
    with op.batch_alter_table("billing_credit_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billing_credit_grants_provider_id"))
        batch_op.drop_index(batch_op.f("ix_billing_credit_grants_id"))

    op.drop_table("billing_credit_grants")
