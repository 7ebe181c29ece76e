"""Outbox relay: pending rows become RQ jobs, each exactly once.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so two relays never take the
same row, and each job's id is the outbox id, so even a relay that crashes
after enqueuing but before committing cannot make a second job.
"""

from __future__ import annotations

from flask import current_app
from rq import Retry

from baton.platform.db import db
from baton.platform.jobs import claim_pending, mark_enqueued, registry
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.workers.queues import queue

RETRY_INTERVALS = [10, 30, 60, 300, 900]


def relay_once(limit: int = 200) -> int:
    import baton.workers.registry  # noqa: F401

    settings = current_app.config["BATON_SETTINGS"]
    session = db.new_service_session(SERVICE_CONTEXT)
    try:
        rows = claim_pending(session, limit)
        for row in rows:
            spec = registry[row.job]
            retries = max(spec.max_retries - 1, 0)
            queue(settings.redis_url, spec.queue).enqueue(
                "baton.workers.tasks.run",
                str(row.id),
                job_id=str(row.id),
                unique=True,
                retry=Retry(max=retries, interval=RETRY_INTERVALS[:retries]) if retries else None,
                job_timeout=spec.timeout,
                description=f"{row.job} {row.id}",
            )
            mark_enqueued(session, row)
        session.commit()
        return len(rows)
    finally:
        session.close()
