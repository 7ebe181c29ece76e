"""Background work of the handoff: notification emails and large imports.

Both run from outbox rows written in the business transaction. Emails are
keyed by what they announce (a snapshot version, a review), so a retried job
never sends one twice.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import Session

from baton.platform import mail
from baton.platform.jobs import job
from baton.platform.tasks import AtomicProgress, task_job
from baton.sourcing.requirements import snapshot
from baton.sourcing.requirements.models import (
    RETURN_REASONS,
    Requirement,
    RequirementReview,
)
from baton.tenants.models import Membership, Organisation, User

# Who hears about what: the client's sourcing people, or the provider's buyers.
CLIENT_ROLES = ("sourcing",)
PROVIDER_ROLES = ("buyer",)


def _recipients(session: Session, org_id: uuid.UUID, roles: tuple[str, ...]) -> list[User]:
    return list(
        session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organisation_id == org_id,
                Membership.role.in_(roles),
                Membership.is_active.is_(True),
                User.is_active.is_(True),
            )
            .order_by(User.email)
        )
    )


def _send_each(users: list[User], key: str, **kwargs) -> None:
    # One message per person: nobody sees the others' addresses, and a bounce
    # for one address does not hold up the rest.
    for user in users:
        mail.send(mail.OutgoingMail(to=[user.email], key=f"{key}:{user.email}", **kwargs))


@job("requirements.notify", queue="default", label="Handoff notification email")
def notify(session: Session, payload: dict) -> None:
    req = session.get(Requirement, uuid.UUID(payload["requirement_id"]))
    if req is None:
        return
    names = dict(
        session.execute(
            sa.select(Organisation.id, Organisation.name).where(
                Organisation.id.in_([req.tenant_id, req.provider_id])
            )
        ).all()
    )
    client, provider = names.get(req.tenant_id, ""), names.get(req.provider_id, "")
    event = payload["event"]
    common = {
        "reference": req.client_reference,
        "title": req.title,
        "client": client,
        "provider": provider,
    }
    if event == "submitted":
        version = payload.get("version", 1)
        _send_each(
            _recipients(session, req.provider_id, PROVIDER_ROLES),
            f"requirement:{req.id}:submitted:{version}",
            subject=f"New handoff from {client}: {req.client_reference} {req.title}"
            if version == 1
            else f"Resubmitted by {client}: {req.client_reference} {req.title}",
            template="requirement_submitted",
            context=common
            | {
                "version": version,
                "due": req.sla_due_at.strftime("%d %b %Y %H:%M UTC") if req.sla_due_at else None,
                "link": url_for("provider_review.review", requirement_id=req.id, _external=True),
            },
            tenant_id=req.tenant_id,
        )
    elif event == "returned":
        review = session.get(RequirementReview, uuid.UUID(payload["review_id"]))
        if review is None:
            return
        reasons = [
            {
                "label": RETURN_REASONS.get(r["code"], r["code"]),
                "field": snapshot.field_label(r["field"]) if r.get("field") else None,
                "comment": r.get("comment"),
            }
            for r in review.reasons
        ]
        _send_each(
            _recipients(session, req.tenant_id, CLIENT_ROLES),
            f"requirement:{req.id}:returned:{review.id}",
            subject=f"Returned by {provider}: {req.client_reference} {req.title}",
            template="requirement_returned",
            context=common
            | {
                "reasons": reasons,
                "comment": review.comment,
                "link": url_for(
                    "client_requirements.detail", requirement_id=req.id, _external=True
                ),
            },
            tenant_id=req.tenant_id,
        )
    elif event == "accepted":
        creator = session.get(User, req.created_by_id) if req.created_by_id else None
        if creator is None or not creator.is_active:
            return
        _send_each(
            [creator],
            f"requirement:{req.id}:accepted:{payload.get('review_id')}",
            subject=f"Accepted by {provider}: {req.client_reference} {req.title}",
            template="requirement_accepted",
            context=common
            | {
                "link": url_for("client_requirements.detail", requirement_id=req.id, _external=True)
            },
            tenant_id=req.tenant_id,
        )
    elif event == "cancelled":
        buyer = session.get(User, req.assigned_buyer_id) if req.assigned_buyer_id else None
        users = [buyer] if buyer else _recipients(session, req.provider_id, PROVIDER_ROLES)
        _send_each(
            users,
            f"requirement:{req.id}:cancelled",
            subject=f"Cancelled by {client}: {req.client_reference} {req.title}",
            template="requirement_cancelled",
            context=common,
            tenant_id=req.tenant_id,
        )
    elif event == "imported":
        # One summary for a whole import, not one email per requirement.
        _send_each(
            _recipients(session, req.provider_id, PROVIDER_ROLES),
            f"requirements:import:{payload['task_id']}:{req.provider_id}",
            subject=f"{payload['count']} new handoffs from {client}",
            template="requirement_imported",
            context=common
            | {
                "count": payload["count"],
                "link": url_for("provider_queue.index", client_id=req.tenant_id, _external=True),
            },
            tenant_id=req.tenant_id,
        )


def _import_failed(session: Session, payload: dict, error: str, final: bool) -> None:
    from baton.sourcing.requirements.imports import import_failed

    import_failed(session, payload, error, final)


@task_job(
    "requirements.import",
    queue="low",
    max_retries=1,
    timeout=1800,
    label="Requirement import",
    atomic=True,
    on_failure=_import_failed,
)
def run_import(session: Session, payload: dict, progress: AtomicProgress) -> dict:
    from baton.sourcing.requirements.imports import run_import_job

    return run_import_job(session, payload, progress)
