"""``flask billing ...``: the operators' billing commands.

Several parts of billing add commands to the one ``billing`` group, each
through ``group(app)``, which makes the group the first time it is asked for.
"""

from __future__ import annotations

from datetime import date

import click
from flask import Flask
from flask.cli import AppGroup


def group(app: Flask) -> AppGroup:
    """The app's ``billing`` command group, made the first time."""
    found = app.cli.commands.get("billing")
    if found is None:
        found = AppGroup("billing", help="Usage, plans and Stripe.")
        app.cli.add_command(found)
    return found


def register(app: Flask) -> None:
    billing = group(app)

    @billing.command("stripe-setup")
    def stripe_setup() -> None:
        """Create the Billing Meters in Stripe that do not exist yet (one per metric)."""
        from baton.platform.stripe_client import stripe_client
        from baton.tenants.billing.stripe_meters import ensure_meters

        client = stripe_client()
        if client is None:
            raise click.ClickException("No Stripe key (BATON_STRIPE_API_KEY): nothing to set up.")
        for metric, meter_id in ensure_meters(client).items():
            click.echo(f"{metric}: {meter_id}")

    @billing.command("push")
    def push_now() -> None:
        """Push the usage events not yet in Stripe (what the job does every minute)."""
        from baton.tenants.billing import push

        result = push.run()
        if result.skipped:
            click.echo(f"Nothing pushed: {result.skipped}.")
            return
        click.echo(f"Pushed {result.pushed} usage events ({result.refused} refused).")

    @billing.command("reconcile")
    @click.option("--day", help="The UTC day to check, YYYY-MM-DD (default: yesterday).")
    def reconcile_command(day: str | None) -> None:
        """Compare Stripe's meter summaries with the ledger for a day and its month."""
        from baton.platform.cli import _run
        from baton.tenants.billing import reconcile

        try:
            chosen = date.fromisoformat(day) if day else None
        except ValueError as exc:
            raise click.BadParameter("use YYYY-MM-DD", param_hint="--day") from exc
        result = _run(lambda s: reconcile.run(s, chosen))
        if result.skipped:
            raise click.ClickException(f"Not reconciled: {result.skipped}.")
        click.echo(
            f"{result.day.isoformat()}: {result.providers} providers, {result.checks} figures,"
            f" {result.differences} differing."
        )
