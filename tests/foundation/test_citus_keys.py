"""Keys ready for Citus (DESIGN.md section 2, docs/decisions/0006-citus-ready-keys.md).

Citus distributes a table by one column and then requires that column in the
primary key, in every unique constraint and unique index, and on both sides of
every foreign key between two distributed tables. Tenant tables are
distributed by ``tenant_id``, co-located; the directory is replicated to every
node as reference tables; a few platform tables stay local to the coordinator.

The rules are checked on the live PostgreSQL catalogue (pg_constraint,
pg_index), not on the models, so a migration that forgets them fails here.
Every table of the schema must appear in exactly one list below: a new table
fails the test until someone decides where it goes (and docs/operators.md,
"Moving to Citus", gets the matching call).
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass, field

import psycopg
import pytest
import sqlalchemy as sa

from baton.platform.db import Base
from baton.platform.migrate import upgrade
from baton.platform.models_registry import load_all_models

# create_distributed_table(t, 'tenant_id'), all co-located with suppliers.
DISTRIBUTED = frozenset(
    {
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
        "audit_chain_heads",
        "purchase_orders",
        "po_lines",
        "po_exceptions",
        "po_approvals",
        "po_acknowledgements",
        "po_receipts",
        "po_shipments",
        "po_issues",
        "po_issue_messages",
        "po_change_orders",
        "po_change_approvals",
        "po_revisions",
        "approval_policies",
        "po_number_counters",
        "sla_measures",
        "sla_monthly",
        "sla_credits",
        "sla_rollup_marks",
        "usage_events",
        "billing_credit_grants",
    }
)

# create_reference_table(t): the directory (docs/decisions/0002-directory-tables.md),
# read before any tenant context exists, small, and joined from every tenant.
REFERENCE = frozenset(
    {
        "organisations",
        "users",
        "memberships",
        "engagements",
        "invitations",
        "api_tokens",
        "login_failures",
        "billing_plans",
        "billing_accounts",
        "billing_plan_periods",
        # Derived from engagements by their trigger; read by every provider's policy.
        "provider_visibility",
    }
)

# PostgreSQL's alone: row-level-security machinery the embedded SQLite mode has no use for.
POSTGRES_ONLY = frozenset({"provider_visibility"})

# Left on the coordinator, with the reason.
LOCAL = {
    "outbox_messages": "tenant_id is nullable: some side effects concern no tenant (a password"
    " reset mail is asked for before anyone signs in), and a distribution column cannot be NULL;"
    " the relay also claims rows across all tenants with FOR UPDATE SKIP LOCKED, a single-node"
    " queue pattern",
    "sent_mail": "tenant_id is nullable, like the outbox rows it records; the mail ledger is"
    " keyed by Message-ID, not by tenant",
    "alembic_version": "migration bookkeeping",
    "stripe_events": "Stripe's events, keyed by Stripe's event id and stored before the"
    " provider they concern is known; no tenant column to distribute by",
    "billing_push_pauses": "one row for the whole platform: the push's wait after Stripe's 429",
    "billing_reconciliations": "the operators' daily comparison with Stripe, per provider; read"
    " and written by the cross-tenant reconciliation job only",
}


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]


@dataclass
class TableKeys:
    """What the rules look at in one table."""

    columns: dict[str, bool] = field(default_factory=dict)  # name -> nullable
    primary_key: tuple[str, ...] = ()
    # constraint or index name -> key columns ('<expression>' for an expression)
    uniques: dict[str, tuple[str, ...]] = field(default_factory=dict)
    foreign_keys: list[ForeignKey] = field(default_factory=list)


def key_problems(
    tables: dict[str, TableKeys],
    distributed: frozenset[str] = DISTRIBUTED,
    reference: frozenset[str] = REFERENCE,
    local: dict[str, str] | None = None,
    column: str = "tenant_id",
) -> list[str]:
    """Every way the schema breaks the Citus rules, one message each."""
    local = LOCAL if local is None else local
    problems = []
    classes = {"distributed": distributed, "reference": reference, "local": set(local)}
    for name in sorted(tables):
        found = [kind for kind, members in classes.items() if name in members]
        if not found:
            problems.append(
                f"{name}: not classified; add it to DISTRIBUTED, REFERENCE or LOCAL"
                " in tests/foundation/test_citus_keys.py (and docs/operators.md)"
            )
        elif len(found) > 1:
            problems.append(f"{name}: classified twice ({', '.join(found)})")
    for kind, members in classes.items():
        for name in sorted(set(members) - set(tables)):
            problems.append(f"{name}: classified {kind} but no such table")
    for name, reason in sorted(local.items()):
        if not reason.strip():
            problems.append(f"{name}: a local table needs its reason")

    def kind_of(table: str) -> str | None:
        return next((kind for kind, members in classes.items() if table in members), None)

    for name, table in sorted(tables.items()):
        kind = kind_of(name)
        if kind == "reference" and column in table.columns:
            problems.append(
                f"{name}: has {column} but is a reference table (copied to every node);"
                " tenant rows are distributed"
            )
        for fk in table.foreign_keys:
            target = kind_of(fk.referred_table)
            if kind in ("reference", "local") and target == "distributed":
                problems.append(
                    f"{name}.{fk.name}: a {kind} table cannot reference the distributed"
                    f" table {fk.referred_table}"
                )
            if kind == "distributed" and target == "local":
                problems.append(
                    f"{name}.{fk.name}: a distributed table cannot reference the local"
                    f" table {fk.referred_table}"
                )
        if kind != "distributed":
            continue
        if column not in table.columns:
            problems.append(f"{name}: distributed by {column} but has no such column")
            continue
        if table.columns[column]:
            problems.append(f"{name}: {column} is nullable; a distribution column cannot be NULL")
        if not table.primary_key:
            problems.append(f"{name}: no primary key")
        elif column not in table.primary_key:
            problems.append(f"{name}: primary key ({', '.join(table.primary_key)}) lacks {column}")
        for unique, columns in sorted(table.uniques.items()):
            if column not in columns:
                problems.append(f"{name}.{unique}: unique ({', '.join(columns)}) lacks {column}")
        for fk in table.foreign_keys:
            if kind_of(fk.referred_table) != "distributed":
                continue  # a reference table: any foreign key to it is fine
            pairs = dict(zip(fk.columns, fk.referred_columns, strict=True))
            if pairs.get(column) != column:
                problems.append(
                    f"{name}.{fk.name}: ({', '.join(fk.columns)}) ->"
                    f" {fk.referred_table} ({', '.join(fk.referred_columns)})"
                    f" does not join {column} to {column}"
                )
    return problems


# -- reading a live schema ----------------------------------------------------

COLUMNS_SQL = """
SELECT c.relname, a.attname, NOT a.attnotnull
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
  AND a.attnum > 0 AND NOT a.attisdropped
"""

CONSTRAINTS_SQL = """
SELECT rel.relname, con.conname, con.contype, ref.relname,
  ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, n)
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
        ORDER BY k.n),
  ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, n)
        JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
        ORDER BY k.n)
FROM pg_constraint con
JOIN pg_class rel ON rel.oid = con.conrelid
LEFT JOIN pg_class ref ON ref.oid = con.confrelid
WHERE rel.relnamespace = 'public'::regnamespace AND con.contype IN ('p', 'u', 'x', 'f')
"""

# Unique indexes that no constraint owns (CREATE UNIQUE INDEX, partial or not);
# only key columns count, not INCLUDE ones.
UNIQUE_INDEXES_SQL = """
SELECT t.relname, i.relname,
  ARRAY(SELECT COALESCE(a.attname, '<expression>')
        FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
        LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
        WHERE k.n <= x.indnkeyatts ORDER BY k.n)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
WHERE x.indisunique AND t.relnamespace = 'public'::regnamespace
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                  WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid
                    AND c.contype IN ('p', 'u', 'x'))
"""


def read_catalogue(conn: psycopg.Connection) -> dict[str, TableKeys]:
    tables: dict[str, TableKeys] = {}
    for table, column, nullable in conn.execute(COLUMNS_SQL):
        tables.setdefault(table, TableKeys()).columns[column] = nullable
    for table, name, kind, referred, columns, referred_columns in conn.execute(CONSTRAINTS_SQL):
        keys = tables[table]
        if kind == "p":
            keys.primary_key = tuple(columns)
        elif kind in ("u", "x"):
            keys.uniques[name] = tuple(columns)
        else:
            keys.foreign_keys.append(
                ForeignKey(name, tuple(columns), referred, tuple(referred_columns))
            )
    for table, name, columns in conn.execute(UNIQUE_INDEXES_SQL):
        tables[table].uniques[name] = tuple(columns)
    return tables


def read_with_inspector(engine: sa.Engine) -> dict[str, TableKeys]:
    """The same description through SQLAlchemy's inspector (the SQLite mode)."""
    inspector = sa.inspect(engine)
    tables = {}
    for name in inspector.get_table_names():
        keys = TableKeys(
            columns={c["name"]: c["nullable"] for c in inspector.get_columns(name)},
            primary_key=tuple(inspector.get_pk_constraint(name)["constrained_columns"]),
        )
        for unique in inspector.get_unique_constraints(name):
            keys.uniques[unique["name"] or "<unnamed>"] = tuple(unique["column_names"])
        for index in inspector.get_indexes(name):
            if index["unique"]:
                keys.uniques[index["name"]] = tuple(
                    c or "<expression>" for c in index["column_names"]
                )
        for fk in inspector.get_foreign_keys(name):
            keys.foreign_keys.append(
                ForeignKey(
                    fk["name"] or "<unnamed>",
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                )
            )
        tables[name] = keys
    return tables


@pytest.fixture
def owner_connection(pg_urls):
    """The schema owner, in a transaction that is always rolled back."""
    with psycopg.connect(pg_urls.owner) as conn:
        yield conn
        conn.rollback()


# -- the live schema ----------------------------------------------------------


@pytest.mark.postgres
def test_every_table_of_the_live_schema_keeps_the_citus_rules(owner_connection):
    tables = read_catalogue(owner_connection)
    assert {"suppliers", "organisations", "outbox_messages"} <= set(tables)
    assert key_problems(tables) == []


@pytest.mark.postgres
def test_distributed_tables_have_tenant_id_first_in_their_keys(owner_connection):
    """The shape the migration gives them: (tenant_id, id), tenant-first natural
    keys, and composite foreign keys onto the (tenant_id, id) primary keys."""
    tables = read_catalogue(owner_connection)
    for name in DISTRIBUTED - {"audit_chain_heads", "po_number_counters", "sla_rollup_marks"}:
        assert tables[name].primary_key == ("tenant_id", "id"), name
    assert tables["audit_chain_heads"].primary_key == ("tenant_id",)
    assert tables["document_revisions"].uniques["uq_document_revisions_document_revision"] == (
        "tenant_id",
        "document_id",
        "revision_no",
    )
    assert tables["requirement_lines"].uniques["uq_requirement_lines_requirement_line_no"] == (
        "tenant_id",
        "requirement_id",
        "line_no",
    )
    # Numbered per provider (migration 0008), still led by tenant_id.
    assert tables["handoff_snapshots"].uniques["uq_snapshots_requirement_version"] == (
        "tenant_id",
        "requirement_id",
        "provider_id",
        "version",
    )
    assert tables["requirement_line_specs"].uniques["uq_line_specs_line_revision"] == (
        "tenant_id",
        "line_id",
        "revision_id",
    )
    between = [
        (name, fk)
        for name in DISTRIBUTED
        for fk in tables[name].foreign_keys
        if fk.referred_table in DISTRIBUTED
    ]
    assert (
        len(between) == 20
    )  # 7 of the handoff, 7 of the orders, 2 of the order issues, 4 of the change orders
    for name, fk in between:
        assert fk.columns[0] == "tenant_id" and fk.referred_columns == ("tenant_id", "id"), (
            name,
            fk,
        )


@pytest.mark.postgres
def test_the_models_declare_the_keys_the_database_has(owner_connection):
    """The ORM stays in step: same primary keys, unique keys and foreign keys."""
    load_all_models()
    live = read_catalogue(owner_connection)
    for name, table in Base.metadata.tables.items():
        keys = live[name]
        assert tuple(c.name for c in table.primary_key.columns) == keys.primary_key, name
        declared = {
            tuple(c.name for c in constraint.columns)
            for constraint in table.constraints
            if isinstance(constraint, sa.UniqueConstraint)
        } | {tuple(c.name for c in index.columns) for index in table.indexes if index.unique}
        assert declared == set(keys.uniques.values()), name
        declared_fks = {
            (
                tuple(e.parent.name for e in fk.elements),
                fk.referred_table.name,
                tuple(e.column.name for e in fk.elements),
            )
            for fk in table.foreign_key_constraints
        }
        assert declared_fks == {
            (fk.columns, fk.referred_table, fk.referred_columns) for fk in keys.foreign_keys
        }, name


def test_the_mapper_keeps_id_as_the_identity_of_distributed_rows():
    """The database key is (tenant_id, id); the ORM's identity stays id, so
    ``session.get(Model, id)`` works unchanged (docs/decisions/0006)."""
    load_all_models()
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        if table.name not in DISTRIBUTED or "id" not in table.c:
            continue
        assert [c.name for c in table.primary_key.columns] == ["tenant_id", "id"], table.name
        assert [c.name for c in mapper.primary_key] == ["id"], table.name


# -- the checker can fail -----------------------------------------------------


def _good() -> dict[str, TableKeys]:
    """A small schema that keeps every rule."""
    return {
        "orgs": TableKeys(columns={"id": False}, primary_key=("id",)),
        "parents": TableKeys(
            columns={"id": False, "tenant_id": False, "code": False},
            primary_key=("tenant_id", "id"),
            uniques={"uq_parents_code": ("tenant_id", "code")},
            foreign_keys=[ForeignKey("fk_parents_org", ("tenant_id",), "orgs", ("id",))],
        ),
        "children": TableKeys(
            columns={"id": False, "tenant_id": False, "parent_id": False, "no": False},
            primary_key=("tenant_id", "id"),
            uniques={"uq_children_no": ("tenant_id", "parent_id", "no")},
            foreign_keys=[
                ForeignKey(
                    "fk_children_parent",
                    ("tenant_id", "parent_id"),
                    "parents",
                    ("tenant_id", "id"),
                )
            ],
        ),
        "queue": TableKeys(columns={"id": False, "tenant_id": True}, primary_key=("id",)),
    }


def _check(tables: dict[str, TableKeys]) -> list[str]:
    return key_problems(
        tables,
        distributed=frozenset({"parents", "children"}),
        reference=frozenset({"orgs"}),
        local={"queue": "nullable tenant_id"},
    )


def test_the_checker_passes_a_schema_that_keeps_the_rules():
    assert _check(_good()) == []


def _break_primary_key(t):
    t["children"].primary_key = ("id",)


def _break_unique(t):
    t["children"].uniques["uq_children_no"] = ("parent_id", "no")


def _break_unique_index(t):
    t["parents"].uniques["ix_parents_lower_code"] = ("<expression>",)


def _break_foreign_key(t):
    t["children"].foreign_keys[0] = ForeignKey(
        "fk_children_parent", ("parent_id",), "parents", ("id",)
    )


def _cross_tenant_foreign_key(t):
    t["children"].foreign_keys[0] = ForeignKey(
        "fk_children_parent", ("parent_id", "tenant_id"), "parents", ("tenant_id", "id")
    )


def _nullable_distribution_column(t):
    t["parents"].columns["tenant_id"] = True


def _no_primary_key(t):
    t["parents"].primary_key = ()


def _new_table(t):
    t["surprise"] = TableKeys(columns={"id": False}, primary_key=("id",))


def _reference_to_distributed(t):
    t["orgs"].foreign_keys.append(ForeignKey("fk_orgs_parent", ("parent_id",), "parents", ("id",)))


def _distributed_to_local(t):
    t["parents"].foreign_keys.append(ForeignKey("fk_parents_queue", ("job_id",), "queue", ("id",)))


def _tenant_rows_in_a_reference_table(t):
    t["orgs"].columns["tenant_id"] = False


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (_break_primary_key, "children: primary key (id) lacks tenant_id"),
        (_break_unique, "children.uq_children_no: unique (parent_id, no) lacks tenant_id"),
        (_break_unique_index, "parents.ix_parents_lower_code: unique (<expression>) lacks"),
        (_break_foreign_key, "children.fk_children_parent: (parent_id) -> parents (id)"),
        (_cross_tenant_foreign_key, "does not join tenant_id to tenant_id"),
        (_nullable_distribution_column, "parents: tenant_id is nullable"),
        (_no_primary_key, "parents: no primary key"),
        (_new_table, "surprise: not classified"),
        (_reference_to_distributed, "orgs.fk_orgs_parent: a reference table cannot reference"),
        (_distributed_to_local, "parents.fk_parents_queue: a distributed table cannot reference"),
        (_tenant_rows_in_a_reference_table, "orgs: has tenant_id but is a reference table"),
    ],
)
def test_the_checker_fails_each_broken_rule(breakage, expected):
    tables = _good()
    breakage(tables)
    problems = _check(tables)
    assert any(expected in p for p in problems), problems


def test_a_classified_table_that_no_longer_exists_fails():
    tables = _good()
    del tables["queue"]
    assert _check(tables) == ["queue: classified local but no such table"]


@pytest.mark.postgres
def test_a_table_with_bad_keys_fails_against_the_live_catalogue(owner_connection):
    """A throwaway table, created and rolled back in the fixture's transaction."""
    owner_connection.execute(
        "CREATE TABLE citus_probe (id uuid PRIMARY KEY, tenant_id uuid NOT NULL,"
        " code text UNIQUE, document_id uuid,"
        " CONSTRAINT fk_probe_document FOREIGN KEY (document_id, tenant_id)"
        "   REFERENCES documents (tenant_id, id))"
    )
    owner_connection.execute("CREATE UNIQUE INDEX ix_probe_code ON citus_probe (lower(code))")
    tables = read_catalogue(owner_connection)

    assert key_problems(tables) == [
        "citus_probe: not classified; add it to DISTRIBUTED, REFERENCE or LOCAL"
        " in tests/foundation/test_citus_keys.py (and docs/operators.md)"
    ]
    assert key_problems(tables, distributed=DISTRIBUTED | {"citus_probe"}) == [
        "citus_probe: primary key (id) lacks tenant_id",
        "citus_probe.citus_probe_code_key: unique (code) lacks tenant_id",
        "citus_probe.ix_probe_code: unique (<expression>) lacks tenant_id",
        "citus_probe.fk_probe_document: (document_id, tenant_id) -> documents (tenant_id, id)"
        " does not join tenant_id to tenant_id",
    ]


# -- the embedded mode gets the same keys --------------------------------------


def test_sqlite_gets_the_same_keys(tmp_path):
    url = f"sqlite:///{tmp_path / 'keys.sqlite3'}"
    upgrade(url)
    engine = sa.create_engine(url)
    try:
        tables = read_with_inspector(engine)
    finally:
        engine.dispose()
    assert key_problems(tables, reference=REFERENCE - POSTGRES_ONLY) == []
    for name in DISTRIBUTED - {"audit_chain_heads", "po_number_counters", "sla_rollup_marks"}:
        assert tables[name].primary_key == ("tenant_id", "id"), name


def test_sqlite_upgrade_keeps_the_rows_their_links_and_the_audit_triggers(tmp_path):
    """The SQLite migration rebuilds every table: rows written before it survive,
    their foreign keys still hold, and audit_events is append-only again."""
    path = tmp_path / "old.sqlite3"
    upgrade(f"sqlite:///{path}", "0003")
    tenant, supplier, req, line, doc, rev = (uuid.uuid4().hex for _ in range(6))
    now = "2026-12-01 10:00:00.000000"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(
            "INSERT INTO suppliers (id, tenant_id, created_at, updated_at, name, code, currency,"
            " categories, qualification_status) VALUES (?, ?, ?, ?, 'S', 'S1', 'EUR', '[]',"
            " 'qualified')",
            (supplier, tenant, now, now),
        )
        conn.execute(
            "INSERT INTO requirements (id, tenant_id, created_at, updated_at, client_reference,"
            " title, engagement_id, supplier_id, currency, priority, status, ready)"
            " VALUES (?, ?, ?, ?, 'R-1', 'R', ?, ?, 'EUR', 'normal', 'draft', 0)",
            (req, tenant, now, now, uuid.uuid4().hex, supplier),
        )
        conn.execute(
            "INSERT INTO requirement_lines (id, tenant_id, created_at, requirement_id, line_no,"
            " description, spec_required) VALUES (?, ?, ?, ?, 1, 'L', 1)",
            (line, tenant, now, req),
        )
        conn.execute(
            "INSERT INTO documents (id, tenant_id, created_at, kind, title, number,"
            " latest_revision_no) VALUES (?, ?, ?, 'specification', 'D', 'D-1', 1)",
            (doc, tenant, now),
        )
        conn.execute(
            "INSERT INTO document_revisions (id, tenant_id, created_at, document_id, revision_no,"
            " filename, content_type, size, sha256, storage_key) VALUES"
            " (?, ?, ?, ?, 1, 'd.pdf', 'application/pdf', 1, 'x', 'k')",
            (rev, tenant, now, doc),
        )
        conn.execute(
            "INSERT INTO requirement_line_specs (id, tenant_id, created_at, line_id, revision_id)"
            " VALUES (?, ?, ?, ?, ?)",
            (uuid.uuid4().hex, tenant, now, line, rev),
        )
        conn.execute(
            "INSERT INTO audit_events (id, tenant_id, seq, created_at, actor_kind, actor_label,"
            " action, entity_type, entity_id, changes, prev_hash, hash)"
            " VALUES (?, ?, 1, ?, 'system', 's', 'a', 'e', '1', '{}', 'p', 'h')",
            (uuid.uuid4().hex, tenant, now),
        )
    conn.close()

    upgrade(f"sqlite:///{path}")

    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in (
                "suppliers",
                "requirements",
                "requirement_lines",
                "documents",
                "document_revisions",
                "requirement_line_specs",
                "audit_events",
            )
        }
        assert set(counts.values()) == {1}, counts
        assert not conn.execute(
            "SELECT name FROM sqlite_master WHERE name LIKE '_alembic_tmp%'"
        ).fetchall()
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO requirement_lines (id, tenant_id, created_at, requirement_id,"
                " line_no, description, spec_required) VALUES (?, ?, ?, ?, 2, 'L', 0)",
                (uuid.uuid4().hex, uuid.uuid4().hex, now, req),  # the right id, another tenant
            )
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE audit_events SET action = 'changed'")
    finally:
        conn.close()
