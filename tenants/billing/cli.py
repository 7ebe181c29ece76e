"""``flask billing ...``: the operator's commands for plans.

    flask billing plan-create --code growth-eur --name Growth --currency EUR \\
        --base-fee 490 --price po_released:100:0-1000@0.40,1000-@0.25
    flask billing plan-list
    flask billing plan-assign --provider northwind --plan growth-eur

``--price`` is ``<metric>:<included>:<tiers>`` (``plan_terms``), once per
metric; a metric without one costs nothing on that plan.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from baton.platform.cli import _org, _run
from baton.platform.formatting import money
from baton.tenants.billing import plans
from baton.tenants.billing.ledger import METRICS
from baton.tenants.billing.plan_terms import format_price, split_cli_price


def billing_group(app: Flask) -> AppGroup:
    """The ``billing`` command group, made once whoever asks first (other billing
    commands join the same group)."""
    group = app.cli.commands.get("billing")
    if group is None:
        group = AppGroup("billing", help="Plans, statements and Stripe billing.")
        app.cli.add_command(group)
    return group


def _prices(options: tuple[str, ...]) -> dict[str, str]:
    prices = {}
    for text in options:
        metric, rest = split_cli_price(text)
        if metric in prices:
            raise click.BadParameter(f"{metric} is priced twice.", param_hint="--price")
        prices[metric] = rest
    return prices


def register(app: Flask) -> None:
    group = billing_group(app)

    @group.command("plan-create")
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

    @group.command("plan-list")
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

    @group.command("plan-assign")
    @click.option("--provider", "provider_ref", required=True, help="Provider slug or name")
    @click.option("--plan", "plan_code", required=True)
    def plan_assign(provider_ref, plan_code):
        """Put a provider on a plan from now (the month is prorated)."""
        _run(lambda s: plans.assign_plan(s, _org(s, provider_ref).id, plan_code))
        click.echo(f"{provider_ref} is on plan {plan_code} from now.")

    @group.command("plan-archive")
    @click.option("--plan", "plan_code", required=True)
    def plan_archive(plan_code):
        """Stop offering a plan (providers on it keep it)."""
        _run(lambda s: plans.archive_plan(s, plan_code))
        click.echo(f"Plan {plan_code} is archived.")
