"""The SLA rollup's jobs and operator command.

Every quarter hour the cross-tenant scan (the service role) finds the tenants
with new audit events or an open measure past its limit, moves each one's
mark and emits one job per tenant with the range it now owns; that job rolls
the tenant up in the tenant's own context, in its own transaction, and is
retried until it succeeds (recomputing a range twice gives the same rows).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import click
from flask import Flask
from sqlalchemy.orm import Session

from baton.platform.db import utcnow
from baton.platform.jobs import job
from baton.platform.outbox import emit
from baton.procurement.sla import rollup

ROLLUP = "procurement.sla_rollup"
ROLL_TENANT = "procurement.sla_roll_tenant"


def _now(payload: dict) -> datetime:
    raw = payload.get("slot") or payload.get("now")
    return datetime.fromisoformat(raw).astimezone(UTC) if raw else utcnow()


def scan(session: Session, now: datetime, tenant_ids: set | None = None) -> int:
    """Emit the per-tenant jobs due at ``now``; returns how many."""
    found = rollup.due(session, now, tenant_ids)
    for tenant_id, mark, head, rolled_at in found:
        emit(
            session,
            ROLL_TENANT,
            {
                "after": mark,
                "upto": head,
                "since": rolled_at.isoformat() if rolled_at else None,
                "now": now.isoformat(),
            },
            tenant_id=tenant_id,
            entity=("sla", str(tenant_id)),
            dedup_key=f"sla:{tenant_id}:{head}:{now.isoformat()}",
        )
        rollup.set_mark(session, tenant_id, head, now)
    return len(found)


@job(ROLLUP, queue="low", label="Find SLA figures to roll up", cross_tenant=True, timeout=600)
def sla_rollup(session: Session, payload: dict) -> None:
    scan(session, _now(payload))


@job(ROLL_TENANT, queue="low", label="Roll up SLA figures", timeout=1800)
def sla_roll_tenant(session: Session, payload: dict) -> None:
    since = payload.get("since")
    rollup.roll_range(
        session,
        uuid.UUID(payload["_tenant_id"]),
        int(payload["after"]),
        int(payload["upto"]),
        datetime.fromisoformat(since) if since else None,
        _now(payload),
    )


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
