"""Operator commands: ``baton <command>`` (or ``flask --app baton.platform.app``)."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup

from baton.platform.db import db
from baton.platform.errors import ServiceError
from baton.platform.formatting import count
from baton.platform.request_context import Actor, acting_as
from baton.platform.tenancy import SERVICE_CONTEXT


def _operator_session():
    """Operator commands act across tenants through the service role."""
    return db.new_service_session(SERVICE_CONTEXT)


def _run(fn):
    session = _operator_session()
    try:
        with acting_as(Actor("system", None, "operator CLI")):
            result = fn(session)
        session.commit()
        return result
    except ServiceError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from exc
    finally:
        session.close()


def _org(session, slug_or_name: str):
    """The organisation an operator names by slug or name (its directory facts)."""
    from baton.platform.directory import directory

    org = directory().find_organisation(session, slug_or_name)
    if org is None:
        raise click.ClickException(f"No organisation {slug_or_name!r}.")
    return org


def register_cli(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    def db_upgrade():
        """Apply database migrations (as the migration/owner role)."""
        from baton.platform.migrate import upgrade

        upgrade(current_app.config["BATON_SETTINGS"].migration_database_url)
        click.echo("Database is at the latest migration.")

    @app.cli.command("audit-verify")
    @click.option("--org", "org_ref", default=None, help="Only this organisation's chain")
    def audit_verify(org_ref):
        """Recompute every audit hash chain; exit 1 naming the first broken event."""
        from baton.platform.audit import chain_tenants, verify_chain

        session = _operator_session()
        try:
            tenants = [_org(session, org_ref).id] if org_ref else chain_tenants(session)
            broken = [b for b in (verify_chain(session, t) for t in tenants) if b is not None]
        finally:
            session.close()
        for b in broken:
            click.echo(
                f"BROKEN tenant {b.tenant_id}: event #{b.seq} (id {b.event_id or 'n/a'}): {b.reason}",
                err=True,
            )
        if broken:
            sys.exit(1)
        click.echo(f"Audit chains intact: {count(len(tenants), 'organisation')} verified.")

    # Each area adds its own commands (organisations and users, workers...).
    from baton.platform.areas import areas, resolve

    for area in areas():
        if area.cli:
            resolve(area.cli)(app)


def main() -> None:
    from baton.platform.app import create_app

    cli = FlaskGroup(create_app=lambda: create_app())
    cli.main(prog_name="baton")
