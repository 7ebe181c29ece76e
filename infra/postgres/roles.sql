-- Roles and database for Baton on PostgreSQL 15+ (DESIGN.md section 2).
--
-- Run once per cluster, as a superuser (or a role with CREATEROLE and CREATEDB),
-- BEFORE the first migration: the migrations grant privileges to baton_app and
-- baton_service, and give baton_service its bypass policies, only for roles
-- that exist when they run.
--
--   psql "postgresql://postgres@db.internal/postgres" \
--        -v owner_password="'...'" -v app_password="'...'" -v service_password="'...'" \
--        -v backup_password="'...'" \
--        -f infra/postgres/roles.sql
--
-- Then point the processes at the roles (README.md "Deployment"):
--   MIGRATION_DATABASE_URL  baton_owner    release step only (baton db-upgrade)
--   DATABASE_URL            baton_app      web requests
--   SERVICE_DATABASE_URL    baton_service  relay, workers, operator CLI commands
--   (backups)               baton_backup   pg_dump only (docs/operators.md "Backups")

\set ON_ERROR_STOP on

-- The owner: owns the database, the schema and every table, and runs the
-- migrations. Row-level security is FORCEd on tenant tables, so even the
-- owner's own queries are filtered; it is never used by a running process.
CREATE ROLE baton_owner LOGIN PASSWORD :owner_password
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;

-- The application role: web requests. Owns nothing (so it can neither change
-- a policy nor turn RLS off) and cannot bypass RLS: with no tenant context set
-- in the transaction it sees no tenant rows at all. It may not UPDATE, DELETE
-- or TRUNCATE audit_events (revoked by the migrations; a trigger refuses too).
CREATE ROLE baton_app LOGIN PASSWORD :app_password
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT;

-- The service role: the few legitimate cross-tenant tasks (the outbox relay,
-- jobs before they switch to their tenant's context, SLA rollups, billing
-- push, operator CLI commands). Like baton_app it owns nothing and has no
-- BYPASSRLS; each tenant table carries an explicit policy for this role, so
-- its reach is visible in the schema and can be revoked table by table.
CREATE ROLE baton_service LOGIN PASSWORD :service_password
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT;

-- Backups: pg_dump reads with row security off and stops with "query would be
-- affected by row-level security policy" for any role that RLS applies to,
-- the owner included (RLS is FORCEd). A read-only role that bypasses RLS is
-- the one role allowed to see every tenant's rows; use it for pg_dump only.
CREATE ROLE baton_backup LOGIN PASSWORD :backup_password
  NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS INHERIT;
GRANT pg_read_all_data TO baton_backup;

-- Every connection gets a statement timeout, so a runaway query cannot hold
-- locks (the audit chain's advisory lock among them) forever.
ALTER ROLE baton_app SET statement_timeout = '30s';
ALTER ROLE baton_service SET statement_timeout = '5min';
ALTER ROLE baton_app SET idle_in_transaction_session_timeout = '60s';
ALTER ROLE baton_service SET idle_in_transaction_session_timeout = '5min';

CREATE DATABASE baton OWNER baton_owner ENCODING 'UTF8' TEMPLATE template0;

\connect baton

-- Nobody but the owner creates objects in the schema (the default since
-- PostgreSQL 15; stated here for clusters upgraded from older versions).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO baton_owner;
REVOKE ALL ON DATABASE baton FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE baton TO baton_app, baton_service;
GRANT CONNECT ON DATABASE baton TO baton_backup;
GRANT USAGE ON SCHEMA public TO baton_app, baton_service;
-- Table privileges are granted by the migrations themselves
-- (baton.platform.rls.grant_privileges), table by table, after each change.
