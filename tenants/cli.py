"""Operator commands for organisations, people, engagements and the demo."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask, current_app

from baton.platform.cli import _run
from baton.platform.request_context import SYSTEM, acting_as
from baton.tenants.models import Organisation


def _org(session, slug_or_name: str) -> Organisation:
    org = session.scalar(
        sa.select(Organisation).where(
            sa.or_(Organisation.slug == slug_or_name, Organisation.name == slug_or_name)
        )
    )
    if org is None:
        raise click.ClickException(f"No organisation {slug_or_name!r}.")
    return org


def register(app: Flask) -> None:
    from baton.tenants.billing.cli import register as register_billing

    register_billing(app)

    @app.cli.command("org-create")
    @click.option("--name", required=True)
    @click.option("--kind", type=click.Choice(["client", "provider"]), required=True)
    @click.option("--code", required=True, help="Prefix of PO numbers, e.g. ACME")
    @click.option("--timezone", default="UTC")
    @click.option("--locale", default="en", help="How amounts and dates read: en, en_GB, de")
    def org_create(name, kind, code, timezone, locale):
        """Create a client or provider organisation."""
        from baton.tenants.services import create_organisation

        org = _run(
            lambda s: create_organisation(
                s, name=name, kind=kind, code=code, timezone=timezone, locale=locale
            )
        )
        click.echo(f"Created {kind} {org.name} (slug {org.slug}, id {org.id}).")

    @app.cli.command("user-create")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option("--org", "org_ref", required=True, help="Organisation slug or name")
    @click.option("--role", required=True)
    @click.password_option()
    def user_create(email, name, org_ref, role, password):
        """Create a user with a password and add them to an organisation."""
        from baton.tenants import services

        def go(s):
            org = _org(s, org_ref)
            user = services.find_user(s, email) or services.create_user(
                s, email=email, name=name, password=password
            )
            services.add_member(s, org, user, role)
            return user

        user = _run(go)
        click.echo(f"{user.email} is {role} of {org_ref}.")

    @app.cli.command("user-invite")
    @click.option("--email", required=True)
    @click.option("--org", "org_ref", required=True)
    @click.option("--role", required=True)
    def user_invite(email, org_ref, role):
        """Email an invitation link to join an organisation."""
        from baton.platform.jobs import drain_inline
        from baton.tenants import services

        _run(lambda s: services.invite(s, _org(s, org_ref), email=email, role=role, inviter=None))
        if not current_app.config["BATON_SETTINGS"].redis_url:
            drain_inline()
        click.echo(f"Invitation sent to {email}.")

    @app.cli.command("engagement-create")
    @click.option("--client", "client_ref", required=True)
    @click.option("--provider", "provider_ref", required=True)
    @click.option("--starts-on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
    def engagement_create(client_ref, provider_ref, starts_on):
        """Engage a provider for a client."""
        from baton.tenants.services import create_engagement

        _run(
            lambda s: create_engagement(
                s,
                client=_org(s, client_ref),
                provider=_org(s, provider_ref),
                starts_on=starts_on.date() if starts_on else None,
            )
        )
        click.echo(f"{provider_ref} now works for {client_ref}.")

    @app.cli.command("engagement-status")
    @click.option("--client", "client_ref", required=True)
    @click.option("--provider", "provider_ref", required=True)
    @click.argument("status", type=click.Choice(["active", "suspended", "ended"]))
    def engagement_status(client_ref, provider_ref, status):
        """Suspend, end or reactivate an engagement."""
        from baton.tenants import services

        def go(s):
            engagement = services.find_engagement(
                s, _org(s, client_ref).id, _org(s, provider_ref).id
            )
            services.set_engagement_status(s, engagement, status)

        _run(go)
        click.echo(f"Engagement is now {status}.")

    @app.cli.command("seed-demo")
    def seed_demo():
        """Create the demo organisations, logins and every area's demo data (idempotent)."""
        from baton.tenants.demo import OUTCOME_TEXT, print_logins, seed

        with acting_as(SYSTEM):
            outcome = seed()
        click.echo(OUTCOME_TEXT[outcome])
        print_logins()
