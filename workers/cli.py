"""Commands for background work: ``baton worker``, ``baton relay``, failed jobs."""

from __future__ import annotations

import uuid

import click
from flask import Flask, current_app

from baton.platform.formatting import count
from baton.platform.heap import freeze_startup_heap
from baton.platform.queues import QUEUE_NAMES


def register_worker_cli(app: Flask) -> None:
    @app.cli.command("worker")
    @click.argument("queues", nargs=-1)
    @click.option("--burst", is_flag=True, help="Quit once the queues and the outbox are empty.")
    @click.option("--no-relay", is_flag=True, help="Leave the outbox to `baton relay`.")
    @click.option("--no-cron", is_flag=True, help="Do not run the periodic schedules here.")
    def worker(queues, burst, no_relay, no_cron):
        """Run jobs from the high, default and low queues (RQ, with its scheduler).

        Also relays the outbox and fires the schedules. Without REDIS_URL it
        runs the outbox in this process instead.
        """
        from baton.workers.worker import run_worker

        unknown = set(queues) - set(QUEUE_NAMES)
        if unknown:
            raise click.BadParameter(
                f"unknown {'queue' if len(unknown) == 1 else 'queues'} {sorted(unknown)}; use {QUEUE_NAMES}"
            )
        run_worker(
            current_app._get_current_object(),
            queues or QUEUE_NAMES,
            burst=burst,
            relay=not no_relay,
            cron=not no_cron,
        )

    @app.cli.command("relay")
    @click.option("--interval", default=1.0, help="Seconds between passes.")
    @click.option("--once", is_flag=True, help="One pass, then quit.")
    def relay(interval, once):
        """Move committed outbox rows to the RQ queues, and recover lost ones."""
        from baton.workers.relay import RelayLoop, recover_stale, relay_once

        if not current_app.config["BATON_SETTINGS"].redis_url:
            raise click.ClickException("REDIS_URL is not set: the embedded mode needs no relay.")
        if once:
            click.echo(f"Relayed {count(relay_once(), 'row')}, recovered {recover_stale()}.")
            return
        loop = RelayLoop(interval=interval)
        loop.install_signal_handlers()
        freeze_startup_heap()
        loop.run()

    @app.cli.command("jobs-failed")
    @click.option("--org", "org_ref", default=None, help="Only this organisation (slug or name).")
    @click.option("--limit", default=100)
    def jobs_failed(org_ref, limit):
        """List failed jobs with their error and the object concerned."""
        from baton.platform.cli import _operator_session, _org
        from baton.platform.job_failures import failed_jobs

        session = _operator_session()
        try:
            org_id = _org(session, org_ref).id if org_ref else None
            rows = failed_jobs(session, org_id, limit=limit)
        finally:
            session.close()
        if not rows:
            click.echo("No failed jobs.")
            return
        for row in rows:
            about = f" {row.entity_type}:{row.entity_id}" if row.entity_id else ""
            when = row.failed_at.strftime("%Y-%m-%d %H:%M") if row.failed_at else "?"
            error = (row.error or "").splitlines()[-1] if row.error else "-"
            click.echo(
                f"{row.id}  {when}  {row.job}{about}  tenant={row.tenant_id or '-'}"
                f"  attempts={row.attempts}\n    {error}"
            )

    @app.cli.command("jobs-retry")
    @click.argument("outbox_id", type=click.UUID)
    def jobs_retry(outbox_id: uuid.UUID):
        """Run a failed job again (its attempts start afresh)."""
        from baton.platform.cli import _run
        from baton.platform.job_failures import retry_failed
        from baton.platform.jobs import dispatch

        row = _run(lambda s: retry_failed(s, outbox_id, None))
        dispatch([row.id])
        click.echo(f"Job {row.id} ({row.job}) is pending again.")

    @app.cli.command("jobs-run")
    def jobs_run():
        """Embedded mode: run every due outbox row now, in this process."""
        from baton.platform.jobs import drain_inline

        if current_app.config["BATON_SETTINGS"].redis_url:
            raise click.ClickException("REDIS_URL is set: workers run the jobs (`baton worker`).")
        click.echo(f"Ran {count(drain_inline(), 'job')}.")

    @app.cli.command("schedules")
    def list_schedules():
        """The periodic jobs and when they run."""
        from baton.platform.schedules import all_schedules

        for s in all_schedules():
            when = f"cron {s.cron}" if s.cron else f"daily at {s.local_hour:02d}:00 local time"
            click.echo(f"{s.name:24} {s.job:32} {when}\n    {s.description}")
