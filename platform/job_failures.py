"""Failed jobs as people see them: what failed, why, about which object, and a retry.

Organisation admins see the rows of their organisation (its tenant, or work
a provider did in a client's tenant); platform operators see every row
through the CLI (``baton jobs-failed``, ``baton jobs-retry``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import structlog
from sqlalchemy.orm import Session

from baton.platform import audit
from baton.platform.db import utcnow
from baton.platform.errors import Conflict, NotFound
from baton.platform.formatting import count
from baton.platform.jobs import job, registry
from baton.platform.outbox import FAILED, OUTBOX, OutboxMessage

log = structlog.get_logger("baton.jobs")

# entity type -> (label, function(entity_id) -> URL or None); features register theirs.
entity_kinds: dict[str, tuple[str, Callable[[str], str | None] | None]] = {}


def register_entity(kind: str, label: str, link: Callable[[str], str | None] | None = None) -> None:
    entity_kinds[kind] = (label, link)


@dataclass(frozen=True)
class FailedJob:
    id: uuid.UUID
    job: str
    label: str
    tenant_id: uuid.UUID | None
    entity_type: str | None
    entity_id: str | None
    entity_label: str | None
    entity_url: str | None
    attempts: int
    error: str | None
    failed_at: datetime | None
    created_at: datetime


def _describe(row: OutboxMessage) -> FailedJob:
    spec = registry.get(row.job)
    kind = entity_kinds.get(row.entity_type or "")
    url = None
    if kind and kind[1] and row.entity_id:
        try:
            url = kind[1](row.entity_id)
        except Exception:  # noqa: S110 - a broken link must not hide the failure
            url = None
    return FailedJob(
        id=row.id,
        job=row.job,
        label=spec.label if spec else row.job,
        tenant_id=row.tenant_id,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        entity_label=(kind[0] if kind else (row.entity_type or "").replace("_", " ").capitalize())
        or None,
        entity_url=url,
        attempts=row.attempts,
        error=row.last_error,
        failed_at=row.finished_at,
        created_at=row.created_at,
    )


def _of_org(session: Session, org_id: uuid.UUID):
    """The organisation's own rows, and a provider's work in the tenants it may
    still see: once an engagement ends, that client's failures (whose errors
    can quote its data) are no longer the provider's to read or retry."""
    from baton.platform.directory import directory

    # From the engagements, not the session's context: the digest job and the
    # CLI ask on behalf of an organisation from a service session.
    visible = tuple(directory().visible_tenant_ids(session, org_id) - {org_id})
    return sa.or_(
        OutboxMessage.tenant_id == org_id,
        sa.and_(OutboxMessage.provider_id == org_id, OutboxMessage.tenant_id.in_(visible)),
    )


def failed_jobs(
    session: Session, org_id: uuid.UUID | None, limit: int = 200, since: datetime | None = None
) -> list[FailedJob]:
    """Failed rows of one organisation, newest first; ``org_id=None`` is every row
    (operators, through the service role)."""
    stmt = sa.select(OutboxMessage).where(OutboxMessage.status == FAILED)
    if org_id is not None:
        stmt = stmt.where(_of_org(session, org_id))
    if since is not None:
        stmt = stmt.where(OutboxMessage.finished_at >= since)
    stmt = stmt.order_by(OutboxMessage.finished_at.desc(), OutboxMessage.created_at.desc())
    return [_describe(row) for row in session.scalars(stmt.limit(limit))]


def _reopen_task(session: Session, row: OutboxMessage) -> None:
    """A task whose job crashed was marked failed; the retry must find it open,
    or the job would skip it as finished."""
    if row.entity_type != "background_task" or not row.entity_id:
        return
    from baton.platform.tasks import FAILED as TASK_FAILED
    from baton.platform.tasks import TASK, BackgroundTask

    task = session.get(BackgroundTask, uuid.UUID(row.entity_id))
    if task is not None and task.status == TASK_FAILED:
        TASK.move(task, "requeue")
        task.finished_at = None
        task.errors = []


def retry_failed(session: Session, outbox_id: uuid.UUID, org_id: uuid.UUID | None) -> OutboxMessage:
    """Put a failed row back to pending with fresh attempts; audited.

    The row runs again after the caller's commit (the request or CLI
    dispatches it). Its job is idempotent, so a retry never duplicates what
    an earlier attempt completed.
    """
    stmt = sa.select(OutboxMessage).where(OutboxMessage.id == outbox_id)
    if org_id is not None:
        stmt = stmt.where(_of_org(session, org_id))
    row = session.scalar(stmt.with_for_update())
    if row is None:
        raise NotFound("job")
    if row.status != FAILED:
        raise Conflict(
            "Only a failed job can be retried; this one is "
            + OUTBOX.label(row.status).lower()
            + "."
        )
    before = {"status": row.status, "attempts": row.attempts}
    OUTBOX.move(row, "retry")
    row.attempts = 0
    row.available_at = None
    row.enqueued_at = None
    row.finished_at = None
    _reopen_task(session, row)
    chain = row.tenant_id or org_id
    if chain is not None:
        audit.record(
            session,
            tenant_id=chain,
            provider_id=org_id if org_id is not None and org_id != chain else None,
            action="job.retried",
            entity_type="outbox_message",
            entity_id=row.id,
            changes=audit.diff(
                before | {"error": row.last_error},
                {"status": row.status, "attempts": row.attempts, "error": row.last_error},
            ),
        )
    session.info.setdefault("outbox_ids", []).append(row.id)
    log.info(
        "job_retry_requested",
        outbox_id=str(row.id),
        job=row.job,
        tenant_id=str(row.tenant_id) if row.tenant_id else None,
    )
    return row


def unconfirmed_mail(session: Session, org_id: uuid.UUID, days: int = 30) -> list:
    """Messages whose sender stopped between handing them to the SMTP server and
    its reply: the server had the whole message, so they were not sent again,
    but nobody saw the server accept them."""
    from baton.platform.outbox import MAIL_UNCONFIRMED, SentMail

    return list(
        session.scalars(
            sa.select(SentMail)
            .where(
                SentMail.tenant_id == org_id,
                SentMail.status == MAIL_UNCONFIRMED,
                SentMail.claimed_at >= utcnow() - timedelta(days=days),
            )
            .order_by(SentMail.claimed_at.desc())
            .limit(100)
        )
    )


# --- each morning: tell admins what failed ---------------------------------------------


@job("platform.failed_jobs_digest", queue="low", label="Failed-jobs digest")
def failed_jobs_digest(session: Session, payload: dict) -> None:
    """Email an organisation's admins the jobs that failed in the last day, if any."""
    from flask import url_for

    from baton.platform import mail
    from baton.platform.directory import directory

    org_id = uuid.UUID(payload["tenant_id"])
    org = directory().organisation(session, org_id)
    if org is None or not org.is_active:
        return
    failures = failed_jobs(session, org_id, limit=50, since=utcnow() - timedelta(days=1))
    if not failures:
        return
    admins = directory().admin_emails(session, org_id)
    lines = [
        f"{f.label}"
        + (f" ({f.entity_label} {f.entity_id})" if f.entity_id else "")
        + f": {(f.error or '').splitlines()[-1] if f.error else 'no error recorded'}"
        for f in failures
    ]
    for address in sorted(set(admins)):
        mail.send(
            mail.OutgoingMail(
                to=[address],
                subject=f"{count(len(failures), 'background job')} failed in {org.name}",
                template="notification",
                context={
                    "subject": f"{count(len(failures), 'background job')} failed yesterday",
                    "lines": lines,
                    "action": ["Review and retry them", url_for("jobs.failed", _external=True)],
                },
                key=f"failed-digest:{org_id}:{payload['local_date']}:{address.lower()}",
                tenant_id=org_id,
                outbox_id=uuid.UUID(payload["_outbox_id"]),
            )
        )
