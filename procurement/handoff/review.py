"""The provider's side of the handoff: what it may see, review, accept, return,
claim and assign. Status changes go through the sourcing area's ``transition``."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform import audit
from baton.platform.db import among, among_engaged_clients, utcnow
from baton.platform.errors import Conflict, NotFound, ValidationFailed
from baton.platform.workflow import PROVIDER
from baton.sourcing.documents.models import DocumentRevision
from baton.sourcing.requirements import snapshot, states
from baton.sourcing.requirements.drafts import _text
from baton.sourcing.requirements.handoff import transition
from baton.sourcing.requirements.models import (
    RETURN_REASONS,
    Requirement,
    RequirementReview,
)
from baton.sourcing.requirements.queries import (
    current_snapshot,
    one_requirement,
    snapshot_readiness,
    snapshots_of,
)
from baton.sourcing.requirements.readiness import Readiness
from baton.tenants.models import Membership, User
from baton.tenants.services import engaged_client_ids

BUYER_ROLES = ("buyer", "admin")


# Which return reason a hard readiness failure suggests.
SUGGESTED_REASON = {
    "spec_missing": "missing_specification",
    "price_missing": "price_not_valid",
    "price_negative": "price_not_valid",
    "currency_missing": "price_not_valid",
    "currency_mismatch": "price_not_valid",
    "quote_validity_missing": "price_not_valid",
    "quote_expired": "price_not_valid",
    "supplier_missing": "supplier_not_qualified",
    "supplier_not_qualified": "supplier_not_qualified",
    "supplier_qualification_lapsed": "supplier_not_qualified",
    "need_by_missing": "date_not_achievable",
    "need_by_past": "date_not_achievable",
}


def suggested_reasons(result: Readiness) -> list[dict[str, Any]]:
    """The return reasons the packet's hard failures suggest, for the buyer to confirm."""
    return [
        {"code": SUGGESTED_REASON.get(f.code, "other"), "field": f.field, "comment": f.message}
        for f in result.hard_failures
    ]


def available_actions(req: Requirement, result: Readiness, may_review: bool) -> frozenset[str]:
    """What a provider user may do with this handoff now, for the page to offer:
    the machine's moves, the capability, and readiness (accept needs it)."""
    if not may_review:
        return frozenset()
    found = {"claim", "assign"} if states.REQUIREMENT.in_group("queue", req.status) else set()
    starts = states.REQUIREMENT.allowed("start_review", req.status)
    if starts:
        found.add("start_review")
    # Accepting a submitted handoff starts its review on the way.
    if (starts or states.REQUIREMENT.allowed("accept", req.status)) and result.ready:
        found.add("accept")
    if states.REQUIREMENT.allowed("return", req.status):
        found.add("return")
    return frozenset(found)


class NotReady(ValidationFailed):
    """Acceptance refused: the packet still has hard readiness failures."""


def provider_visible(session: Session, provider_id: uuid.UUID, client_ids: set[uuid.UUID]) -> list:
    """What a provider may see: handed to it, by a client it is actively engaged
    with, and submitted at least once (a draft is the client's alone)."""
    return [
        Requirement.provider_id == provider_id,
        among(session, Requirement.tenant_id, client_ids),
        *_handed_off(),
    ]


def provider_visible_in_order(
    session: Session, provider_id: uuid.UUID, client_ids: set[uuid.UUID]
) -> list:
    """``provider_visible`` for a page read in an index's order
    (``platform.db.in_index_order``): the plan walks the index whatever the
    planner guesses, so the tenants need not be spelled out for it, and the
    session's scoping (the criteria and the row-level policies) keeps the rows
    to the engaged clients. ``among_engaged_clients`` decides; it falls back
    to the list for any narrower set (a client filter, a job's context)."""
    return [
        Requirement.provider_id == provider_id,
        among_engaged_clients(session, Requirement.tenant_id, provider_id, client_ids),
        *_handed_off(),
    ]


def _handed_off() -> list:
    return [Requirement.status != "draft", Requirement.submitted_at.is_not(None)]


def get_for_provider(
    session: Session, provider_id: uuid.UUID, requirement_id: uuid.UUID, *, lock: bool = False
) -> Requirement:
    client_ids = engaged_client_ids(session, provider_id)
    stmt = sa.select(Requirement).where(
        Requirement.id == requirement_id,
        Requirement.provider_id == provider_id,
        among_engaged_clients(session, Requirement.tenant_id, provider_id, client_ids),
        *_handed_off(),
    )
    req = one_requirement(session, stmt, lock)
    if req is None:
        raise NotFound("No such requirement.")
    return req


def spec_for_provider(
    session: Session, provider_id: uuid.UUID, requirement_id: uuid.UUID, revision_id: uuid.UUID
) -> DocumentRevision:
    """A specification revision handed off with this requirement, and no other of the
    client's documents; the provider's download of it is recorded in the client's log."""
    req = get_for_provider(session, provider_id, requirement_id)
    attached = {
        spec["revision_id"]
        for snap in snapshots_of(session, req)
        for line in snap.payload["lines"]
        for spec in line["specs"]
    }
    if str(revision_id) not in attached:
        raise NotFound("No such specification on this requirement.")
    revision = session.scalar(
        sa.select(DocumentRevision).where(
            DocumentRevision.tenant_id == req.tenant_id, DocumentRevision.id == revision_id
        )
    )
    if revision is None:
        raise NotFound("No such specification on this requirement.")
    audit.record(
        session,
        tenant_id=req.tenant_id,
        provider_id=req.provider_id,
        action="document.downloaded",
        entity_type="document_revision",
        entity_id=revision.id,
        changes={"requirement": [None, req.client_reference]},
    )
    return revision


# --- provider actions -------------------------------------------------------------------------


def open_review(
    session: Session,
    provider_id: uuid.UUID,
    user_id: uuid.UUID | None,
    requirement_id: uuid.UUID,
    *,
    can_act: bool = True,
) -> Requirement:
    """Start the review of a submitted requirement (submitted -> in_review): an
    explicit action (a POST), never a side effect of opening the page."""
    req = get_for_provider(session, provider_id, requirement_id, lock=can_act)
    if can_act and states.REQUIREMENT.allowed("start_review", req.status):
        transition(session, req, "start_review", side=PROVIDER)
    return req


def accept(
    session: Session,
    provider_id: uuid.UUID,
    user_id: uuid.UUID | None,
    requirement_id: uuid.UUID,
    comment: str | None = None,
) -> Requirement:
    req = get_for_provider(session, provider_id, requirement_id, lock=True)
    if states.REQUIREMENT.allowed("start_review", req.status):
        transition(session, req, "start_review", side=PROVIDER)
    states.REQUIREMENT.check("accept", req.status, PROVIDER)
    snap = current_snapshot(session, req)
    result = snapshot_readiness(session, req, snap)
    if not result.ready:
        errors = {"_form": "It cannot be accepted while it has hard failures; return it instead."}
        for finding in result.hard_failures:
            errors.setdefault(finding.field, finding.message)
        raise NotReady(errors)
    review = RequirementReview(
        id=uuid.uuid4(),
        tenant_id=req.tenant_id,
        provider_id=req.provider_id,
        requirement_id=req.id,
        snapshot_id=snap.id,
        decision="accepted",
        reasons=[],
        comment=_text(comment),
        reviewer_id=user_id,
    )
    session.add(review)
    session.flush()
    req.ready = True
    return transition(
        session,
        req,
        "accept",
        side=PROVIDER,
        changes={"snapshot_version": [None, snap.version], "comment": [None, review.comment]},
        event_payload={"review_id": str(review.id)},
    )


def check_reasons(
    reasons: list[dict[str, Any]], comment: str | None, known_fields: set[str]
) -> list[dict[str, Any]]:
    errors: dict[str, str] = {}
    if not reasons:
        errors["reasons"] = "Give at least one reason, so the client knows what to fix."
    cleaned = []
    for n, reason in enumerate(reasons, start=1):
        code = reason.get("code")
        field = _text(reason.get("field"))
        text = _text(reason.get("comment"))
        if code not in RETURN_REASONS:
            errors[f"reasons[{n}].code"] = f"Choose one of {', '.join(RETURN_REASONS)}."
        if field is not None and field not in known_fields:
            errors[f"reasons[{n}].field"] = f"{field} is not a field of this requirement."
        if code == "other" and not text and not _text(comment):
            errors[f"reasons[{n}].comment"] = "Say what is wrong when the reason is 'other'."
        if text and len(text) > 2000:
            errors[f"reasons[{n}].comment"] = "Keep each comment under 2000 characters."
        cleaned.append({"code": code, "field": field, "comment": text})
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def return_fields(payload: dict) -> set[str]:
    """Fields a return reason may point at: the packet's own, plus a line as a whole."""
    fields = set(snapshot.flatten(payload)) | {"lines"}
    fields |= {f"lines[{line['line_no']}]" for line in payload["lines"]}
    return fields


def return_requirement(
    session: Session,
    provider_id: uuid.UUID,
    user_id: uuid.UUID | None,
    requirement_id: uuid.UUID,
    reasons: list[dict[str, Any]],
    comment: str | None = None,
) -> Requirement:
    """Send the packet back to the client with structured reasons."""
    req = get_for_provider(session, provider_id, requirement_id, lock=True)
    states.REQUIREMENT.check("return", req.status, PROVIDER)
    snap = current_snapshot(session, req)
    cleaned = check_reasons(reasons, comment, return_fields(snap.payload))
    review = RequirementReview(
        id=uuid.uuid4(),
        tenant_id=req.tenant_id,
        provider_id=req.provider_id,
        requirement_id=req.id,
        snapshot_id=snap.id,
        decision="returned",
        reasons=cleaned,
        comment=_text(comment),
        reviewer_id=user_id,
    )
    session.add(review)
    session.flush()
    req.returned_at = utcnow()
    return transition(
        session,
        req,
        "return",
        side=PROVIDER,
        changes={"reasons": [None, cleaned], "comment": [None, review.comment]},
        event_payload={"review_id": str(review.id)},
    )


def provider_buyers(session: Session, provider_id: uuid.UUID) -> list[tuple[Membership, User]]:
    return list(
        session.execute(
            sa.select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.organisation_id == provider_id,
                Membership.is_active.is_(True),
                Membership.role.in_(BUYER_ROLES),
                User.is_active.is_(True),
            )
            .order_by(User.name)
        ).all()
    )


def assign(
    session: Session,
    provider_id: uuid.UUID,
    requirement_id: uuid.UUID,
    buyer_id: uuid.UUID | None,
) -> Requirement:
    """Give the requirement to one of this provider's buyers (or to nobody)."""
    req = get_for_provider(session, provider_id, requirement_id, lock=True)
    if not states.REQUIREMENT.in_group("queue", req.status):
        raise Conflict(
            f"A {states.REQUIREMENT.label(req.status).lower()} requirement is not in the queue."
        )
    buyers = {user.id: user for _m, user in provider_buyers(session, provider_id)}
    if buyer_id is not None and buyer_id not in buyers:
        raise ValidationFailed({"buyer_id": "Choose one of your organisation's buyers."})
    if req.assigned_buyer_id == buyer_id:
        return req
    before = session.get(User, req.assigned_buyer_id) if req.assigned_buyer_id else None
    req.assigned_buyer_id = buyer_id
    req.claimed_at = utcnow() if buyer_id else None
    audit.record(
        session,
        tenant_id=req.tenant_id,
        provider_id=req.provider_id,
        action="requirement.assigned" if buyer_id else "requirement.unassigned",
        entity_type="requirement",
        entity_id=req.id,
        changes={
            "assigned_buyer": [
                before.email if before else None,
                buyers[buyer_id].email if buyer_id else None,
            ]
        },
    )
    return req


def claim(
    session: Session, provider_id: uuid.UUID, user_id: uuid.UUID, requirement_id: uuid.UUID
) -> Requirement:
    """A buyer takes an unclaimed requirement; someone else's needs an explicit reassign."""
    req = get_for_provider(session, provider_id, requirement_id, lock=True)
    if req.assigned_buyer_id not in (None, user_id):
        owner = session.get(User, req.assigned_buyer_id)
        raise Conflict(
            f"{owner.name if owner else 'Another buyer'} has already claimed it; reassign it instead."
        )
    return assign(session, provider_id, requirement_id, user_id)
