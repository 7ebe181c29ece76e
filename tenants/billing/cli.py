"""``flask billing ...``: the operators' billing commands.

    flask billing plan-create --code growth-eur --name Growth --currency EUR \\
        --base-fee 490 --price po_released:100:0-1000@0.40,1000-@0.25
    flask billing plan-list
    flask billing plan-assign --provider northwind --plan growth-eur
    flask billing stripe-setup | push | reconcile [--day YYYY-MM-DD]

``--price`` is ``<metric>:<included>:<tiers>`` (``plan_terms``), once per
metric; a metric without one costs nothing on that plan. Other parts of
billing (document storage, in sourcing) add commands to the same group
through ``group(app)``, which makes it the first time it is asked for.
"""

from __future__ import annotations

from datetime import date

import click
from flask import Flask
from flask.cli import AppGroup

from baton.platform.cli import _org, _run
from baton.platform.formatting import money
from baton.tenants.billing import plans
from baton.tenants.billing.ledger import METRICS
from baton.tenants.billing.plan_terms import format_price, split_cli_price


def group(app: Flask) -> AppGroup:
    """The app's ``billing`` command group, made the first time."""
    found = app.cli.commands.get("billing")
    if found is None:
        found = AppGroup("billing", help="Usage, plans, statements and Stripe.")
        app.cli.add_command(found)
    return found


def _prices(options: tuple[str, ...]) -> dict[str, str]:
    prices = {}
    for text in options:
        metric, rest = split_cli_price(text)
        if metric in prices:
            raise click.BadParameter(f"{metric} is priced twice.", param_hint="--price")
        prices[metric] = rest
    return prices


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

    @billing.command("plan-create")
    @click.option("--code", required=True, help="Lower-case code, e.g. growth-eur")
    @click.option("--name", required=True)
    @click.option("--currency", required=True, help="ISO 4217, e.g. EUR")
    @click.option("--base-fee", required=True, help="Monthly base fee, e.g. 490")
    @click.option(
        "--price",
        "price_options",
        multiple=True,
        help="<metric>:<included>:<from>-<to>@<unit price>,...  e.g. po_released:100:0-1000@0.40,1000-@0.25",
    )
    def plan_create(code, name, currency, base_fee, price_options):
        """Define a plan."""
        data = {
            "code": code,
            "name": name,
            "currency": currency,
            "base_fee": base_fee,
            "prices": _prices(price_options),
        }
        plan = _run(lambda s: plans.create_plan(s, data))
        click.echo(
            f"Created plan {plan.code} ({plan.name}, {money(plan.base_fee, plan.currency)} a month)."
        )

    @billing.command("plan-list")
    def plan_list():
        """Every plan with its prices."""

        def go(s):
            return [
                (p.code, p.name, p.currency, p.base_fee, dict(p.prices), p.archived_at)
                for p in plans.list_plans(s)
            ]

        for code, name, currency, fee, prices, archived in _run(go):
            state = " (archived)" if archived else ""
            click.echo(f"{code}{state}: {name}, {money(fee, currency)} a month")
            for metric in METRICS:
                if metric in prices:
                    click.echo(f"    {metric}:{format_price(prices[metric])}")

    @billing.command("plan-assign")
    @click.option("--provider", "provider_ref", required=True, help="Provider slug or name")
    @click.option("--plan", "plan_code", required=True)
    def plan_assign(provider_ref, plan_code):
        """Put a provider on a plan from now (the month is prorated)."""
        _run(lambda s: plans.assign_plan(s, _org(s, provider_ref).id, plan_code))
        click.echo(f"{provider_ref} is on plan {plan_code} from now.")

    @billing.command("plan-archive")
    @click.option("--plan", "plan_code", required=True)
    def plan_archive(plan_code):
        """Stop offering a plan (providers on it keep it)."""
        _run(lambda s: plans.archive_plan(s, plan_code))
        click.echo(f"Plan {plan_code} is archived.")
