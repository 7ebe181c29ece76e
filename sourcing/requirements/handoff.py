"""The handoff from the client's side: every status change, submit and cancel.

``transition`` is the only code that changes ``Requirement.status``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform import audit
from baton.platform.db import utcnow
from baton.platform.errors import ValidationFailed
from baton.platform.formatting import count
from baton.platform.workflow import CLIENT
from baton.sourcing.requirements import readiness, snapshot, states
from baton.sourcing.requirements.drafts import _text
from baton.sourcing.requirements.models import (
    HandoffSnapshot,
    Requirement,
)
from baton.sourcing.requirements.queries import (
    get_for_client,
    live_readiness,
    snapshot_readiness,
    spec_info,
    spec_revisions,
    supplier_of,
)
from baton.tenants.calendars import add_business_hours, business_hours_between
from baton.tenants.engagement_settings import calendar_of
from baton.tenants.models import Engagement, Organisation, User

# --- the one way a status changes ---------------------------------------------------------


def transition(
    session: Session,
    req: Requirement,
    action: str,
    *,
    side: str,
    changes: dict[str, Any] | None = None,
    event_payload: dict[str, Any] | None = None,
    notify: bool = True,
) -> Requirement:
    """The requirement machine's one way to change status: check, audit, emit."""
    states.REQUIREMENT.apply(
        session,
        req,
        action,
        side=side,
        changes=changes,
        event_payload=event_payload,
        notify=notify,
    )
    return req


# --- client actions -------------------------------------------------------------------------


def _freeze(
    session: Session, req: Requirement, user_id: uuid.UUID | None, now: datetime
) -> HandoffSnapshot:
    supplier = supplier_of(session, req)
    wanted = [s.revision_id for line in req.lines for s in line.specs]
    known = spec_revisions(session, req.tenant_id, wanted) if wanted else {}
    specs_by_line = {
        line.id: [spec_info(*known[s.revision_id]) for s in line.specs if s.revision_id in known]
        for line in req.lines
    }
    previous = None
    if req.current_snapshot_id is not None:  # never submitted: no snapshot to follow
        # Numbered per provider: a requirement moved to another provider starts
        # at v1 there, since that provider never sees the first one's versions.
        previous = session.scalar(
            sa.select(sa.func.max(HandoffSnapshot.version)).where(
                HandoffSnapshot.tenant_id == req.tenant_id,
                HandoffSnapshot.requirement_id == req.id,
                HandoffSnapshot.provider_id == req.provider_id,
            )
        )
    version = (previous or 0) + 1
    # By primary key: repeated submissions (an import) find these in the session.
    orgs = [session.get(Organisation, i) for i in (req.tenant_id, req.provider_id)]
    names = {org.id: org.name for org in orgs if org is not None}
    user = session.get(User, user_id) if user_id else None
    payload = snapshot.build_payload(
        requirement=req,
        lines=list(req.lines),
        specs_by_line=specs_by_line,
        supplier=supplier,
        client_name=names.get(req.tenant_id, ""),
        provider_name=names.get(req.provider_id, ""),
        version=version,
        submitted_at=now,
        submitted_by=user.email if user else None,
    )
    snap = HandoffSnapshot(
        id=uuid.uuid4(),
        tenant_id=req.tenant_id,
        provider_id=req.provider_id,
        requirement_id=req.id,
        version=version,
        payload=payload,
        sha256=snapshot.digest(payload),
        created_by_id=user_id,
    )
    session.add(snap)
    session.flush()
    return snap


def handoff_due_at(engagement: Engagement, req: Requirement, now: datetime) -> datetime | None:
    """When the provider's handoff-to-release time runs out, on the engagement's calendar.

    A first handoff gets the target's business hours from now. A resubmission
    after a return gets the business hours that were left when it was returned,
    counted from now: time back with the client is the client's, not the
    provider's, and a weekend or holiday in between costs nobody anything."""
    calendar = calendar_of(engagement)
    if req.submitted_at is None or req.sla_due_at is None:
        return add_business_hours(calendar, now, Decimal(engagement.sla_handoff_to_release_hours))
    if req.returned_at is None:
        return req.sla_due_at
    left = business_hours_between(calendar, req.returned_at, req.sla_due_at)
    return add_business_hours(calendar, now, left)


ACCEPT_WARNINGS = "accept_warnings"


class NotReady(ValidationFailed):
    """A handoff refused by the readiness check: the findings keyed by field
    (shown beside each field), and a summary a page can show on its own."""

    def __init__(self, errors: dict[str, str], summary: str) -> None:
        super().__init__(errors)
        self.summary = summary

    def __str__(self) -> str:
        return self.summary


def readiness_refusal(result: readiness.Readiness, accept_warnings: bool) -> NotReady | None:
    """Why this packet may not be handed off, or None when it may.

    Hard failures always block: a packet without a usable supplier, quantity,
    price or date is no order a buyer can place. Warnings (a conditional
    supplier, a short lead time) block until the person handing off says they
    have weighed them (``accept_warnings``)."""
    hard, warnings = result.hard_failures, result.warnings
    if hard:
        blocking, noun, what = hard, "thing", "must be fixed before handing this off"
    elif warnings and not accept_warnings:
        blocking, noun, what = warnings, "warning", 'to confirm ("Hand off despite the warnings")'
    else:
        return None
    errors: dict[str, str] = {}
    for finding in blocking:
        errors[finding.field] = " ".join(filter(None, (errors.get(finding.field), finding.message)))
    listed = "; ".join(f"{snapshot.field_label(f.field)}: {f.message}" for f in blocking)
    summary = f"Not handed off: {count(len(blocking), noun)} {what}. {listed}"
    if not hard:
        errors[ACCEPT_WARNINGS] = "Confirm the warnings to hand this off despite them."
    return NotReady(errors, summary)


def submit(
    session: Session,
    client_id: uuid.UUID,
    user_id: uuid.UUID | None,
    requirement_id: uuid.UUID,
    *,
    accept_warnings: bool = False,
    notify: bool = True,
    req: Requirement | None = None,
) -> Requirement:
    """Freeze the packet into a new snapshot and put it in the provider's queue,
    once it passes the readiness check (warnings confirmed by ``accept_warnings``)."""
    req = req or get_for_client(session, client_id, requirement_id, lock=True)
    states.REQUIREMENT.check("submit", req.status, CLIENT)
    errors = {}
    if not req.lines:
        errors["lines"] = "Add at least one line before handing this off."
    engagement = session.get(Engagement, req.engagement_id)
    if engagement is None or engagement.client_id != client_id or engagement.status != "active":
        errors["engagement_id"] = (
            "The provider engagement is not active; choose an active provider."
        )
    if errors:
        raise ValidationFailed(errors)
    refusal = readiness_refusal(live_readiness(session, req), accept_warnings)
    if refusal is not None:
        raise refusal
    now = utcnow()
    snap = _freeze(session, req, user_id, now)
    before_due = req.sla_due_at
    req.sla_due_at = handoff_due_at(engagement, req, now)
    req.submitted_at = req.submitted_at or now
    req.returned_at = None
    req.current_snapshot_id = snap.id
    req.ready = snapshot_readiness(session, req, snap).ready
    return transition(
        session,
        req,
        "submit",
        side=CLIENT,
        changes={
            "snapshot_version": [snap.version - 1 or None, snap.version],
            "snapshot_sha256": [None, snap.sha256],
            "sla_due_at": [audit.jsonable(before_due), audit.jsonable(req.sla_due_at)],
        },
        event_payload={"snapshot_id": str(snap.id), "version": snap.version},
        notify=notify,
    )


def cancel(
    session: Session,
    client_id: uuid.UUID,
    user_id: uuid.UUID | None,
    requirement_id: uuid.UUID,
    reason: str | None = None,
) -> Requirement:
    req = get_for_client(session, client_id, requirement_id, lock=True)
    reason = _text(reason)
    if reason and len(reason) > 2000:
        raise ValidationFailed({"reason": "Keep the reason under 2000 characters."})
    return transition(
        session,
        req,
        "cancel",
        side=CLIENT,
        changes={"reason": [None, reason]} if reason else None,
        # A draft never reached the provider, so nobody there needs telling.
        notify=req.submitted_at is not None,
    )
