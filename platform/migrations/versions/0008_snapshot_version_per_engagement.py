"""handoff_snapshots: versions numbered per provider, not per requirement

Revision ID: 0008
Revises: 0007

A requirement moved to another provider starts again at v1 there: the new
provider never sees the first one's snapshots, so a "v2" would point at a
version it cannot read. The natural key becomes
(tenant_id, requirement_id, provider_id, version); tenant_id still leads it,
as Citus requires (docs/decisions/0006-citus-ready-keys.md).

Nothing references handoff_snapshots by a foreign key, so on SQLite the
batch rebuild (copy, drop, rename) needs no foreign-key pause; on
PostgreSQL it is a plain ALTER TABLE.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NAME = "uq_snapshots_requirement_version"


def _key(columns: list[str]) -> None:
    with op.batch_alter_table("handoff_snapshots") as batch_op:
        batch_op.drop_constraint(NAME, type_="unique")
        batch_op.create_unique_constraint(NAME, columns)


def upgrade() -> None:
    _key(["tenant_id", "requirement_id", "provider_id", "version"])


def downgrade() -> None:
    # Fails if a requirement already has two snapshots of the same number (one
    # per provider): renumber those by hand before going back.
    _key(["tenant_id", "requirement_id", "version"])
