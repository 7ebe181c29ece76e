"""The SLA rollup's job and operator command."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import Flask
from sqlalchemy.orm import Session

from baton.platform.db import utcnow
from baton.platform.jobs import job
from baton.procurement.sla import rollup

ROLLUP = "procurement.sla_rollup"


def _now(payload: dict) -> datetime:
    raw = payload.get("slot") or payload.get("now")
    return datetime.fromisoformat(raw).astimezone(UTC) if raw else utcnow()


@job(ROLLUP, queue="low", label="Roll up SLA figures", cross_tenant=True, timeout=1800)
def sla_rollup(session: Session, payload: dict) -> None:
    rollup.run(session, _now(payload))


def register_cli(app: Flask) -> None:
    @app.cli.command("sla-rollup")
    @click.option("--rebuild", is_flag=True, help="Recompute every measure from scratch.")
    def sla_rollup_command(rebuild: bool) -> None:
        """Bring the SLA figures up to date (what the quarter-hourly job does)."""
        from baton.platform.cli import _run

        started = utcnow()
        result = _run(lambda s: (rollup.rebuild if rebuild else rollup.run)(s, started))
        seconds = (utcnow() - started).total_seconds()
        click.echo(
            f"SLA rollup: {result.tenants} tenants, {result.subjects} subjects,"
            f" {result.measures} measures, {result.months} months in {seconds:.1f} s."
        )
