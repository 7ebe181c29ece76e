"""Row-level security and privileges, applied by migrations on PostgreSQL.

Policies read transaction-local settings through small SQL functions. A
setting that was never set, or was reset at the end of a transaction, reads
as '' and becomes NULL / an empty array: no context means no rows.
"""

from __future__ import annotations

from alembic import op

APP_ROLE = "baton_app"
SERVICE_ROLE = "baton_service"

FUNCTIONS = """
CREATE OR REPLACE FUNCTION baton_org_id() RETURNS uuid LANGUAGE sql STABLE AS
  $$ SELECT NULLIF(current_setting('baton.org_id', true), '')::uuid $$;
CREATE OR REPLACE FUNCTION baton_org_kind() RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT NULLIF(current_setting('baton.org_kind', true), '') $$;
CREATE OR REPLACE FUNCTION baton_tenant_ids() RETURNS uuid[] LANGUAGE sql STABLE AS
  $$ SELECT COALESCE(NULLIF(current_setting('baton.tenant_ids', true), '')::uuid[], '{}'::uuid[]) $$;
"""

# A provider's people see its own rows and those of every client actively
# engaging it: 200 clients make a 7,438-character ``baton.tenant_ids`` that each
# policy and each scoped statement parsed into a uuid[] again, 0.2 ms a time,
# eight times in a joined read of one requirement. For that context the setting
# says ``engaged`` and the array is read, already binary, from
# ``provider_visibility``, which a trigger on engagements keeps in step in the
# transaction that changes one (decision 0017). Any other context (a client, a
# job's narrower one) still sends its ids.
PROVIDER_VISIBILITY = """
CREATE TABLE provider_visibility (
  provider_id uuid PRIMARY KEY REFERENCES organisations (id) ON DELETE CASCADE,
  tenant_ids uuid[] NOT NULL
);
-- Kept in the row (3 KB for 200 clients): no TOAST lookup per read.
ALTER TABLE provider_visibility ALTER COLUMN tenant_ids SET STORAGE MAIN;

CREATE OR REPLACE FUNCTION baton_refresh_provider_visibility(p uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  -- Two transactions changing one provider's engagements take turns, and the
  -- second recounts after the first has committed (a statement's snapshot is
  -- taken after the lock), so neither overwrites the other with a stale set.
  PERFORM pg_advisory_xact_lock(hashtext('baton.provider_visibility'), hashtext(p::text));
  INSERT INTO provider_visibility (provider_id, tenant_ids)
  SELECT p, array_append(
           COALESCE(array_agg(e.client_id ORDER BY e.client_id)
                    FILTER (WHERE e.status = 'active'), '{}'::uuid[]),
           p)
  FROM engagements e WHERE e.provider_id = p
  ON CONFLICT (provider_id) DO UPDATE SET tenant_ids = EXCLUDED.tenant_ids;
END $$;

CREATE OR REPLACE FUNCTION baton_engagements_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM baton_refresh_provider_visibility(OLD.provider_id);
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.provider_id IS DISTINCT FROM OLD.provider_id) THEN
    PERFORM baton_refresh_provider_visibility(NEW.provider_id);
  END IF;
  RETURN NULL;
END $$;

-- Only the columns the set depends on: fees, calendars and SLA targets change
-- without taking the provider's lock.
CREATE TRIGGER engagements_provider_visibility
  AFTER INSERT OR DELETE OR UPDATE OF provider_id, client_id, status ON engagements
  FOR EACH ROW EXECUTE FUNCTION baton_engagements_changed();

SELECT baton_refresh_provider_visibility(id) FROM organisations WHERE kind = 'provider';

-- PL/pgSQL, not SQL: a SQL function with a subquery cannot be inlined, and
-- PostgreSQL then plans its body again in every statement that uses it
-- (0.15-0.3 ms each time); PL/pgSQL keeps its plans for the connection.
CREATE OR REPLACE FUNCTION baton_tenant_ids() RETURNS uuid[] LANGUAGE plpgsql STABLE AS $$
DECLARE
  ids text := current_setting('baton.tenant_ids', true);
  org uuid;
  visible uuid[];
BEGIN
  IF ids = 'engaged' THEN
    IF current_setting('baton.org_kind', true) IS DISTINCT FROM 'provider' THEN
      RETURN '{}'::uuid[];
    END IF;
    org := NULLIF(current_setting('baton.org_id', true), '')::uuid;
    SELECT v.tenant_ids INTO visible FROM provider_visibility v WHERE v.provider_id = org;
    -- No row: a provider no client has engaged yet sees itself.
    RETURN COALESCE(visible, ARRAY[org]);
  END IF;
  RETURN COALESCE(NULLIF(ids, '')::uuid[], '{}'::uuid[]);
END $$;
"""

# Only the trigger's functions (running as the owner) write the table.
DERIVED_TABLES = ("provider_visibility",)

# What each kind of tenant-owned table lets the acting organisation see and write.
POLICIES = {
    # Client-wide reference data: every engaged provider reads, only the client writes.
    "reference": (
        "tenant_id = ANY(baton_tenant_ids())",
        "baton_org_kind() = 'client' AND tenant_id = baton_org_id()",
    ),
    # Rows a provider works on: the client and that one provider.
    "provider": (
        "tenant_id = ANY(baton_tenant_ids()) AND (baton_org_kind() = 'client'"
        " OR provider_id IS NULL OR provider_id = baton_org_id())",
        "(baton_org_kind() = 'client' AND tenant_id = baton_org_id())"
        " OR (baton_org_kind() = 'provider' AND provider_id = baton_org_id()"
        " AND tenant_id = ANY(baton_tenant_ids()))",
    ),
    # An organisation's audit chain, plus the events a provider wrote into a client's.
    "audit": (
        "tenant_id = baton_org_id() OR (provider_id = baton_org_id() AND tenant_id = ANY(baton_tenant_ids()))",
        "tenant_id = baton_org_id() OR (provider_id = baton_org_id() AND tenant_id = ANY(baton_tenant_ids()))",
    ),
    # Metered usage: the provider whose work it was, and the client it was for.
    "billing": (
        "provider_id = baton_org_id() OR tenant_id = baton_org_id()",
        "provider_id = baton_org_id() OR tenant_id = baton_org_id()",
    ),
    "chain_head": (
        "tenant_id = baton_org_id() OR tenant_id = ANY(baton_tenant_ids())",
        "tenant_id = baton_org_id() OR tenant_id = ANY(baton_tenant_ids())",
    ),
    # Side effects (outbox, mail ledger): some are about no tenant yet (a password
    # reset is asked for before anyone signs in), so such rows may be written
    # without a context; reading them back is left to the service role.
    "outbox": (
        "tenant_id = ANY(baton_tenant_ids())",
        "tenant_id IS NULL OR tenant_id = ANY(baton_tenant_ids())",
    ),
}


def is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def role_exists(role: str) -> bool:
    return bool(
        op.get_bind()
        .exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %(r)s", {"r": role})
        .scalar()
    )


def _table_exists(table: str) -> bool:
    return bool(op.get_bind().exec_driver_sql("SELECT to_regclass(%(t)s)", {"t": table}).scalar())


def install_functions() -> None:
    if is_postgres():
        op.execute(FUNCTIONS)


def once_per_statement(expression: str) -> str:
    """Wrap the context functions in scalar subqueries, so PostgreSQL evaluates
    each once per statement (an InitPlan) instead of once per row. Inline, the
    ``baton.tenant_ids`` text is parsed into a uuid[] for every row tested: a
    provider with 200 clients paid ~90 µs a row, 0.8 s for a 9,000-row count
    in its queue (bench/queue_page.py); as subqueries the same count takes ~20 ms."""
    return (
        expression.replace("ANY(baton_tenant_ids())", "ANY((SELECT baton_tenant_ids())::uuid[])")
        .replace("baton_org_id()", "(SELECT baton_org_id())")
        .replace("baton_org_kind()", "(SELECT baton_org_kind())")
    )


def enable(table: str, scope: str) -> None:
    """ENABLE and FORCE RLS with the scope's policy, plus a service-role bypass policy."""
    if not is_postgres():
        return
    using, check = (once_per_statement(e) for e in POLICIES[scope])
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({using}) WITH CHECK ({check})")
    if role_exists(SERVICE_ROLE):
        op.execute(
            f"CREATE POLICY service_role ON {table} TO {SERVICE_ROLE} USING (true) WITH CHECK (true)"
        )


def append_only(table: str) -> None:
    """Refuse UPDATE and DELETE for everyone, the owner included."""
    if is_postgres():
        op.execute(
            """
            CREATE OR REPLACE FUNCTION baton_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
            END $$;
            """
        )
        # Per statement, not per row: an UPDATE or DELETE that matches no row
        # (say, run by the owner without a tenant context) is refused too,
        # instead of quietly reporting zero rows.
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION baton_refuse_change()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}"
                f" BEGIN SELECT RAISE(ABORT, 'table {table} is append-only'); END"
            )


def grant_privileges(append_only_tables: tuple[str, ...] = ("audit_events",)) -> None:
    """The app and service roles read and write rows; they own nothing."""
    if not is_postgres():
        return
    for role in (APP_ROLE, SERVICE_ROLE):
        if not role_exists(role):
            continue
        op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
        for table in append_only_tables:
            op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {role}")
        for table in DERIVED_TABLES:
            if _table_exists(table):
                op.execute(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {table} FROM {role}")
        # Heads only move forward; removing one would hide where a chain ended.
        op.execute(f"REVOKE DELETE, TRUNCATE ON audit_chain_heads FROM {role}")
        op.execute(f"REVOKE ALL ON alembic_version FROM {role}")
