"""Who hears about each handoff event, what the email says, and its template.

Keys name what an email announces (a snapshot version, a review), so a
retried job never sends one twice.
"""

from __future__ import annotations

import uuid

from flask import url_for
from sqlalchemy.orm import Session

from baton.platform import formatting
from baton.platform.notify import Notification
from baton.sourcing.requirements import snapshot
from baton.sourcing.requirements.models import RETURN_REASONS, Requirement, RequirementReview
from baton.tenants.models import Organisation
from baton.tenants.services import member_emails, organisation_names, user_emails

# The client's sourcing people, or the provider's buyers.
CLIENT_ROLES = ("sourcing",)
PROVIDER_ROLES = ("buyer",)


def _common(
    session: Session, payload: dict, reader: str = "client"
) -> tuple[Requirement, dict] | None:
    """What every handoff email shows; times and amounts as ``reader``'s
    organisation (the one whose people receive it) reads them."""
    req = session.get(Requirement, uuid.UUID(payload["requirement_id"]))
    if req is None:
        return None
    names = organisation_names(session, [req.tenant_id, req.provider_id])
    org = session.get(Organisation, req.provider_id if reader == "provider" else req.tenant_id)
    tz, locale = (org.timezone, org.locale) if org is not None else (None, None)
    value = formatting.total_value(req.lines)
    return req, {
        "id": str(req.id),
        "tenant_id": str(req.tenant_id),
        "provider_id": str(req.provider_id) if req.provider_id else None,
        "created_by_id": str(req.created_by_id) if req.created_by_id else None,
        "assigned_buyer_id": str(req.assigned_buyer_id) if req.assigned_buyer_id else None,
        "reference": req.client_reference,
        "title": req.title,
        "client": names.get(req.tenant_id, ""),
        "provider": names.get(req.provider_id, ""),
        "value": formatting.amount(value, req.currency, locale) if value is not None else None,
        "lines": formatting.count(len(req.lines), "line"),
        "due": formatting.when(req.sla_due_at, tz, locale) if req.sla_due_at else None,
    }


def _submitted(session: Session, payload: dict) -> dict | None:
    found = _common(session, payload, "provider")
    if found is None:
        return None
    req, context = found
    return context | {
        "version": payload.get("version", 1),
        "link": url_for("provider_review.review", requirement_id=req.id, _external=True),
    }


def _returned(session: Session, payload: dict) -> dict | None:
    found = _common(session, payload)
    review = session.get(RequirementReview, uuid.UUID(payload["review_id"]))
    if found is None or review is None:
        return None
    req, context = found
    reasons = [
        {
            "label": RETURN_REASONS.get(r["code"], r["code"]),
            "field": snapshot.field_label(r["field"]) if r.get("field") else None,
            "comment": r.get("comment"),
        }
        for r in review.reasons
    ]
    return context | {
        "review_id": str(review.id),
        "reasons": reasons,
        "comment": review.comment,
        "link": url_for("client_requirements.detail", requirement_id=req.id, _external=True),
    }


def _accepted(session: Session, payload: dict) -> dict | None:
    found = _common(session, payload)
    if found is None:
        return None
    req, context = found
    return context | {
        "review_id": payload.get("review_id"),
        "link": url_for("client_requirements.detail", requirement_id=req.id, _external=True),
    }


def _cancelled(session: Session, payload: dict) -> dict | None:
    found = _common(session, payload, "provider")
    return found[1] if found is not None else None


def _imported(session: Session, payload: dict) -> dict | None:
    found = _common(session, payload, "provider")
    if found is None:
        return None
    req, context = found
    return context | {
        "count": payload["count"],
        "task_id": payload["task_id"],
        "link": url_for("provider_queue.index", client_id=req.tenant_id, _external=True),
    }


def _buyers(session: Session, c: dict) -> list[str]:
    return member_emails(session, uuid.UUID(c["provider_id"]), PROVIDER_ROLES)


def _sourcing(session: Session, c: dict) -> list[str]:
    return member_emails(session, uuid.UUID(c["tenant_id"]), CLIENT_ROLES)


def _creator(session: Session, c: dict) -> list[str]:
    return user_emails(session, [uuid.UUID(c["created_by_id"])] if c["created_by_id"] else [])


def _assigned_buyer_or_buyers(session: Session, c: dict) -> list[str]:
    if c["assigned_buyer_id"]:
        return user_emails(session, [uuid.UUID(c["assigned_buyer_id"])])
    return _buyers(session, c)


NOTIFICATIONS = [
    Notification(
        "requirement.submitted",
        load=_submitted,
        recipients=_buyers,
        subject=lambda c: (
            f"New handoff from {c['client']}: {c['reference']} {c['title']}"
            if c["version"] == 1
            else f"Resubmitted by {c['client']}: {c['reference']} {c['title']}"
        ),
        template="requirement_submitted",
        key=lambda c: f"requirement:{c['id']}:submitted:{c['version']}",
    ),
    Notification(
        "requirement.returned",
        load=_returned,
        recipients=_sourcing,
        subject=lambda c: f"Returned by {c['provider']}: {c['reference']} {c['title']}",
        template="requirement_returned",
        key=lambda c: f"requirement:{c['id']}:returned:{c['review_id']}",
    ),
    Notification(
        "requirement.accepted",
        load=_accepted,
        recipients=_creator,
        subject=lambda c: f"Accepted by {c['provider']}: {c['reference']} {c['title']}",
        template="requirement_accepted",
        key=lambda c: f"requirement:{c['id']}:accepted:{c['review_id']}",
    ),
    Notification(
        "requirement.cancelled",
        load=_cancelled,
        recipients=_assigned_buyer_or_buyers,
        subject=lambda c: f"Cancelled by {c['client']}: {c['reference']} {c['title']}",
        template="requirement_cancelled",
        key=lambda c: f"requirement:{c['id']}:cancelled",
    ),
    Notification(
        "requirement.imported",
        # One summary for a whole import, not one email per requirement.
        load=_imported,
        recipients=_buyers,
        subject=lambda c: f"{formatting.count(c['count'], 'new handoff')} from {c['client']}",
        template="requirement_imported",
        key=lambda c: f"requirements:import:{c['task_id']}:{c['provider_id']}",
    ),
]
