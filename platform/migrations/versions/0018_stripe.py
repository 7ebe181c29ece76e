"""stripe: the plan's metered Stripe prices; a credit's correcting grants

Revision ID: 0018
Revises: 0017

``billing_plans.stripe_prices`` holds what publishing a plan to Stripe made
(product, base price, one metered price per metric, keyed by the plan's
version). A recomputed SLA credit gets a correcting grant for the
difference, so a credit may have several grants: ``seq`` numbers them and
the unique key becomes (tenant, credit, seq).
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("billing_plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stripe_prices", sa.JSON(), nullable=True))
    with op.batch_alter_table("billing_credit_grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=False, server_default="1"))
        batch_op.drop_constraint("uq_credit_grants_credit", type_="unique")
        batch_op.create_unique_constraint(
            "uq_credit_grants_credit", ["tenant_id", "sla_credit_id", "seq"]
        )


def downgrade() -> None:
    with op.batch_alter_table("billing_credit_grants", schema=None) as batch_op:
        batch_op.drop_constraint("uq_credit_grants_credit", type_="unique")
        batch_op.create_unique_constraint("uq_credit_grants_credit", ["tenant_id", "sla_credit_id"])
        batch_op.drop_column("seq")
    with op.batch_alter_table("billing_plans", schema=None) as batch_op:
        batch_op.drop_column("stripe_prices")
