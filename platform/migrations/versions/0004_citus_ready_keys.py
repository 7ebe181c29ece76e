"""citus-ready keys: tenant_id in every key of the distributed tables

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 19:30:00.000000

Citus distributes a table by one column and then requires that column in its
primary key, in every unique constraint, and in every foreign key between two
distributed tables (DESIGN.md section 2, docs/decisions/0006-citus-ready-keys.md).
For every table distributed by tenant_id this migration:

* makes the primary key (tenant_id, id) instead of (id);
* drops the unique (tenant_id, id) constraints that the composite foreign
  keys pointed at: the new primary key is the same key, so the foreign keys
  point at it now;
* adds tenant_id to the natural unique keys that lacked it
  ((document_id, revision_no), (requirement_id, line_no),
  (line_id, revision_id), (requirement_id, version));
* drops the single-column tenant_id index (the primary key now leads with
  tenant_id) and adds a plain, non-unique index on id: the ORM still looks
  rows up by id alone (the mapper's primary key stays ``id``, so
  ``session.get(Model, id)`` keeps working; ids are random UUIDs), and such
  lookups must not scan. Citus allows a non-unique index on any column.

audit_chain_heads already has the key (tenant_id). The directory tables
(reference tables under Citus) and outbox_messages / sent_mail (nullable
tenant_id: local tables) keep their keys.

On PostgreSQL these are plain ALTER TABLEs. SQLite cannot alter a primary key
in place, so there each table is rebuilt with batch_alter_table (copy, drop,
rename) with foreign keys off, checked with PRAGMA foreign_key_check at the
end, and the append-only triggers of audit_events, which go with the old
table, are created again.
"""

from alembic import op
import sqlalchemy as sa
from baton.platform import rls


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# Parents before children (the order SQLite rebuilds them in).
DISTRIBUTED = (
    "suppliers",
    "documents",
    "document_revisions",
    "requirements",
    "requirement_lines",
    "requirement_line_specs",
    "handoff_snapshots",
    "requirement_reviews",
    "requirement_imports",
    "background_tasks",
    "audit_events",
)

# The unique (tenant_id, id) the composite foreign keys referenced until now.
TENANT_ID_UNIQUES = ("suppliers", "documents", "document_revisions", "requirements", "requirement_lines")

# name: (table, columns before, columns after)
NATURAL_KEYS = {
    "uq_document_revisions_document_revision": (
        "document_revisions", ["document_id", "revision_no"], ["tenant_id", "document_id", "revision_no"]
    ),
    "uq_requirement_lines_requirement_line_no": (
        "requirement_lines", ["requirement_id", "line_no"], ["tenant_id", "requirement_id", "line_no"]
    ),
    "uq_line_specs_line_revision": (
        "requirement_line_specs", ["line_id", "revision_id"], ["tenant_id", "line_id", "revision_id"]
    ),
    "uq_snapshots_requirement_version": (
        "handoff_snapshots", ["requirement_id", "version"], ["tenant_id", "requirement_id", "version"]
    ),
}

# Foreign keys between distributed tables, all composite already:
# name: (table, columns, referred table, referred columns)
FOREIGN_KEYS = {
    "fk_document_revisions_document": (
        "document_revisions", ["tenant_id", "document_id"], "documents", ["tenant_id", "id"]
    ),
    "fk_requirements_supplier": (
        "requirements", ["tenant_id", "supplier_id"], "suppliers", ["tenant_id", "id"]
    ),
    "fk_requirement_lines_requirement": (
        "requirement_lines", ["tenant_id", "requirement_id"], "requirements", ["tenant_id", "id"]
    ),
    "fk_line_specs_line": (
        "requirement_line_specs", ["tenant_id", "line_id"], "requirement_lines", ["tenant_id", "id"]
    ),
    "fk_line_specs_revision": (
        "requirement_line_specs", ["tenant_id", "revision_id"], "document_revisions", ["tenant_id", "id"]
    ),
    "fk_snapshots_requirement": (
        "handoff_snapshots", ["tenant_id", "requirement_id"], "requirements", ["tenant_id", "id"]
    ),
    "fk_reviews_requirement": (
        "requirement_reviews", ["tenant_id", "requirement_id"], "requirements", ["tenant_id", "id"]
    ),
}


def _rekey(batch_op, table: str, *, forward: bool) -> None:
    """Primary key, the (tenant_id, id) unique, the natural keys and the
    tenant_id / id indexes of one table, in either direction."""
    batch_op.drop_constraint(f"pk_{table}", type_="primary")
    batch_op.create_primary_key(f"pk_{table}", ["tenant_id", "id"] if forward else ["id"])
    if table in TENANT_ID_UNIQUES:
        if forward:
            batch_op.drop_constraint(f"uq_{table}_tenant_id", type_="unique")
        else:
            batch_op.create_unique_constraint(f"uq_{table}_tenant_id", ["tenant_id", "id"])
    for name, (owner, before, after) in NATURAL_KEYS.items():
        if owner == table:
            batch_op.drop_constraint(name, type_="unique")
            batch_op.create_unique_constraint(name, after if forward else before)
    if forward:
        batch_op.drop_index(f"ix_{table}_tenant_id")
        batch_op.create_index(f"ix_{table}_id", ["id"], unique=False)
    else:
        batch_op.drop_index(f"ix_{table}_id")
        batch_op.create_index(f"ix_{table}_tenant_id", ["tenant_id"], unique=False)


def _migrate(forward: bool) -> None:
    if rls.is_postgres():
        # A foreign key depends on the unique index it references: drop them
        # first, change the keys, then create them again (now referencing the
        # primary key (tenant_id, id), or the restored unique going back).
        for name, (table, *_) in FOREIGN_KEYS.items():
            op.drop_constraint(name, table, type_="foreignkey")
        for table in DISTRIBUTED:
            with op.batch_alter_table(table) as batch_op:
                _rekey(batch_op, table, forward=forward)
        for name, (table, columns, referred, referred_columns) in FOREIGN_KEYS.items():
            op.create_foreign_key(name, table, referred, columns, referred_columns)
        return
    # SQLite cannot change a primary key in place: each table is copied into
    # a new one with the new keys, the old one dropped and the copy renamed.
    # Dropping a parent that children still reference fails a foreign key
    # check (deferring the checks does not help: the rename never clears the
    # violations the drop counted), so SQLite's own procedure for rebuilding
    # tables applies: foreign keys off, rebuild, PRAGMA foreign_key_check,
    # commit. The pragma is a no-op inside a transaction; if the migrations
    # before this one in the same run left one open, it is committed first.
    # The checks stay off for the rest of this run's migration connection,
    # which is closed when the run ends; the app's connections turn them on.
    dbapi_connection = op.get_bind().connection.dbapi_connection
    if dbapi_connection.in_transaction:
        dbapi_connection.commit()
    dbapi_connection.execute("PRAGMA foreign_keys = OFF")
    dbapi_connection.execute("BEGIN")  # all tables rebuilt, or none
    for table in DISTRIBUTED:
        with op.batch_alter_table(table, recreate="always") as batch_op:
            _rekey(batch_op, table, forward=forward)
    # Triggers go with the table they are on: audit_events was rebuilt.
    rls.append_only("audit_events")
    broken = dbapi_connection.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:5]}")


def upgrade() -> None:
    _migrate(forward=True)


def downgrade() -> None:
    _migrate(forward=False)
