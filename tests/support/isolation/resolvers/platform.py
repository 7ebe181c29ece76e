"""Resolvers for rows of baton.platform: background tasks, failed jobs."""

from __future__ import annotations

import uuid

from baton.platform.db import utcnow
from tests.support.isolation.victim import Victim, parameter


@parameter("task_id", "background_task_id")
def _background_task(v: Victim) -> uuid.UUID:
    from baton.platform.tasks import BackgroundTask

    # A client's own requirement import: the task pages of the organisation and
    # of the import itself both show it to the client (not to its provider).
    task = BackgroundTask(
        id=uuid.uuid4(),
        tenant_id=v.org_id,
        provider_id=None,
        kind="requirements.import",
        label=f"Import {v.tag}",
        total=10,
        done=3,
    )
    v.session.add(task)
    v.session.flush()
    v.mark(task.label)
    return task.id


@parameter("outbox_id")
def _failed_job(v: Victim) -> uuid.UUID:
    from baton.platform.outbox import FAILED, OutboxMessage

    # A failed job of work the provider did for the tenant (both admins see it);
    # retrying it runs a job that finds nothing to do.
    extra = {"provider_id": v.provider_id} if hasattr(OutboxMessage, "provider_id") else {}
    message = OutboxMessage(
        **extra,
        id=uuid.uuid4(),
        created_at=utcnow(),
        tenant_id=v.org_id,
        job="tenants.send_invitation",
        payload={"invitation_id": str(uuid.uuid4())},
        status=FAILED,
        attempts=5,
        finished_at=utcnow(),
        last_error=f"SMTPRecipientsRefused: failure {v.tag}",
    )
    v.session.add(message)
    v.session.flush()
    v.mark(message.last_error)
    return message.id
