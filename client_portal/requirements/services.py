"""Rules of the handoff: drafts, submission, review, return, acceptance.

Every status change goes through ``transition``, which checks the table in
``states``, writes the audit event (with the provider's id, so both sides see
it in their logs) and emits the outbox event. Services take the acting
organisation and user explicitly and never read the request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.client_portal.documents import services as documents
from baton.client_portal.documents.models import Document, DocumentRevision
from baton.client_portal.requirements import readiness, snapshot, states
from baton.client_portal.requirements.models import (
    PRIORITIES,
    QUEUE_STATUSES,
    RETURN_REASONS,
    HandoffSnapshot,
    Requirement,
    RequirementLine,
    RequirementLineSpec,
    RequirementReview,
)
from baton.client_portal.suppliers.models import Supplier
from baton.platform import audit
from baton.platform.db import utc_today, utcnow
from baton.platform.errors import Conflict, Forbidden, NotFound, ValidationFailed
from baton.platform.outbox import emit
from baton.platform.search import LIKE_ESCAPE, contains
from baton.tenants.models import Engagement, Membership, Organisation, User
from baton.tenants.services import engaged_client_ids

MAX_LINES = 500
NOTIFY_JOB = "requirements.notify"
BUYER_ROLES = ("buyer", "admin")

HEADER_FIELDS = (
    "client_reference",
    "title",
    "engagement_id",
    "supplier_id",
    "currency",
    "payment_terms",
    "incoterms",
    "quote_reference",
    "quote_valid_until",
    "ship_to",
    "sourcing_notes",
    "assumptions",
    "priority",
)
LINE_FIELDS = ("item_code", "description", "quantity", "unit", "unit_price", "need_by")


class NotReady(ValidationFailed):
    """Acceptance refused: the packet still has hard readiness failures."""


# --- reading -------------------------------------------------------------------------


def get_for_client(
    session: Session, client_id: uuid.UUID, requirement_id: uuid.UUID, *, lock: bool = False
) -> Requirement:
    stmt = sa.select(Requirement).where(
        Requirement.tenant_id == client_id, Requirement.id == requirement_id
    )
    if lock:
        stmt = stmt.with_for_update()
    req = session.scalar(stmt)
    if req is None:
        raise NotFound("No such requirement.")
    return req


def provider_visible(provider_id: uuid.UUID, client_ids: set[uuid.UUID]) -> list:
    """What a provider may see: handed to it, by a client it is actively engaged
    with, and submitted at least once (a draft is the client's alone)."""
    return [
        Requirement.provider_id == provider_id,
        Requirement.tenant_id.in_(client_ids),
        Requirement.status != "draft",
        Requirement.submitted_at.is_not(None),
    ]


def get_for_provider(
    session: Session, provider_id: uuid.UUID, requirement_id: uuid.UUID, *, lock: bool = False
) -> Requirement:
    client_ids = engaged_client_ids(session, provider_id)
    stmt = sa.select(Requirement).where(
        Requirement.id == requirement_id, *provider_visible(provider_id, client_ids)
    )
    if lock:
        stmt = stmt.with_for_update()
    req = session.scalar(stmt)
    if req is None:
        raise NotFound("No such requirement.")
    return req


def list_for_client(
    session: Session,
    client_id: uuid.UUID,
    *,
    status: str | None = None,
    q: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[Requirement], bool]:
    """``status`` is one status or a group of them (``states.STATUS_GROUPS``)."""
    stmt = sa.select(Requirement).where(Requirement.tenant_id == client_id)
    if status:
        stmt = stmt.where(Requirement.status.in_(states.statuses_for(status)))
    if q:
        pattern = contains(q)
        stmt = stmt.where(
            sa.or_(
                Requirement.title.ilike(pattern, escape=LIKE_ESCAPE),
                Requirement.client_reference.ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
    page = max(1, page)
    rows = list(
        session.scalars(
            stmt.order_by(Requirement.updated_at.desc(), Requirement.id)
            .limit(per_page + 1)
            .offset((page - 1) * per_page)
        )
    )
    return rows[:per_page], len(rows) > per_page


def active_engagements(session: Session, client_id: uuid.UUID) -> list[Engagement]:
    return list(
        session.scalars(
            sa.select(Engagement)
            .join(Organisation, Organisation.id == Engagement.provider_id)
            .where(Engagement.client_id == client_id, Engagement.status == "active")
            .order_by(Organisation.name)
        )
    )


def supplier_of(session: Session, req: Requirement) -> Supplier | None:
    if req.supplier_id is None:
        return None
    # By primary key, so a supplier already in the session costs no query.
    supplier = session.get(Supplier, req.supplier_id)
    return supplier if supplier is not None and supplier.tenant_id == req.tenant_id else None


def snapshots_of(session: Session, req: Requirement) -> list[HandoffSnapshot]:
    """Newest first."""
    return list(
        session.scalars(
            sa.select(HandoffSnapshot)
            .where(
                HandoffSnapshot.tenant_id == req.tenant_id,
                HandoffSnapshot.requirement_id == req.id,
            )
            .order_by(HandoffSnapshot.version.desc())
        )
    )


def get_snapshot(session: Session, req: Requirement, snapshot_id: uuid.UUID) -> HandoffSnapshot:
    snap = session.scalar(
        sa.select(HandoffSnapshot).where(
            HandoffSnapshot.tenant_id == req.tenant_id,
            HandoffSnapshot.requirement_id == req.id,
            HandoffSnapshot.id == snapshot_id,
        )
    )
    if snap is None:
        raise NotFound("No such snapshot.")
    return snap


def current_snapshot(session: Session, req: Requirement) -> HandoffSnapshot | None:
    if req.current_snapshot_id is None:
        return None
    return get_snapshot(session, req, req.current_snapshot_id)


def reviews_of(session: Session, req: Requirement) -> list[RequirementReview]:
    """Newest first."""
    return list(
        session.scalars(
            sa.select(RequirementReview)
            .where(
                RequirementReview.tenant_id == req.tenant_id,
                RequirementReview.requirement_id == req.id,
            )
            .order_by(RequirementReview.created_at.desc())
        )
    )


def open_return(session: Session, req: Requirement) -> RequirementReview | None:
    """The review that sent the requirement back, while it is still returned."""
    if req.status != "returned":
        return None
    reviews = reviews_of(session, req)
    return next((r for r in reviews if r.decision == "returned"), None)


def spec_revisions(
    session: Session, tenant_id: uuid.UUID, ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[Document, DocumentRevision]]:
    if not ids:
        return {}
    rows = session.execute(
        documents.client_revisions(tenant_id).where(DocumentRevision.id.in_(ids))
    )
    return {rev.id: (doc, rev) for doc, rev in rows}


def spec_info(doc: Document, rev: DocumentRevision) -> dict:
    return {
        "revision_id": str(rev.id),
        "document_id": str(doc.id),
        "document_number": doc.number,
        "title": doc.title,
        "kind": doc.kind,
        "revision_no": rev.revision_no,
        "filename": rev.filename,
        "sha256": rev.sha256,
    }


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


# --- readiness -------------------------------------------------------------------------


def live_facts(req: Requirement, supplier: Supplier | None) -> readiness.RequirementFacts:
    return readiness.RequirementFacts(
        currency=req.currency,
        supplier=snapshot.supplier_facts(supplier) if supplier is not None else None,
        quote_reference=req.quote_reference,
        quote_valid_until=req.quote_valid_until,
        ship_to=req.ship_to,
        lines=tuple(
            readiness.LineFacts(
                line_no=line.line_no,
                description=line.description,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                need_by=line.need_by,
                spec_required=line.spec_required,
                spec_count=len(line.specs),
            )
            for line in req.lines
        ),
    )


def live_readiness(
    session: Session, req: Requirement, on: date | None = None
) -> readiness.Readiness:
    return readiness.check(live_facts(req, supplier_of(session, req)), on or utc_today())


def snapshot_readiness(
    session: Session, req: Requirement, snap: HandoffSnapshot, on: date | None = None
) -> readiness.Readiness:
    """What the provider judges: the frozen packet, with the supplier as it is today."""
    return readiness.check(
        snapshot.facts(snap.payload, supplier_of(session, req)), on or utc_today()
    )


def preview_readiness(
    session: Session, client_id: uuid.UUID, data: dict[str, Any], on: date | None = None
) -> readiness.Readiness:
    """Readiness of form data that has not been saved (the edit page's live panel)."""
    supplier = None
    if data.get("supplier_id"):
        supplier = session.scalar(
            sa.select(Supplier).where(
                Supplier.tenant_id == client_id, Supplier.id == data["supplier_id"]
            )
        )
    wanted = [rid for line in data.get("lines", []) for rid in line.get("spec_revision_ids", [])]
    known = spec_revisions(session, client_id, wanted)
    currency = (data.get("currency") or "").upper() or (supplier.currency if supplier else None)
    facts = readiness.RequirementFacts(
        currency=currency,
        supplier=snapshot.supplier_facts(supplier) if supplier is not None else None,
        quote_reference=data.get("quote_reference"),
        quote_valid_until=data.get("quote_valid_until"),
        ship_to=data.get("ship_to"),
        lines=tuple(
            readiness.LineFacts(
                line_no=n,
                description=line.get("description"),
                quantity=line.get("quantity"),
                unit=line.get("unit"),
                unit_price=line.get("unit_price"),
                need_by=line.get("need_by"),
                spec_required=bool(line.get("spec_required")),
                spec_count=len([r for r in line.get("spec_revision_ids", []) if r in known]),
            )
            for n, line in enumerate(data.get("lines", []), start=1)
        ),
    )
    return readiness.check(facts, on or utc_today())


# --- drafts ----------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def input_of(req: Requirement) -> dict[str, Any]:
    """The requirement as input data, so a partial update can overlay it."""
    data = {name: getattr(req, name) for name in HEADER_FIELDS}
    data["lines"] = [
        {
            "id": line.id,
            **{name: getattr(line, name) for name in LINE_FIELDS},
            "spec_required": line.spec_required,
            "spec_revision_ids": [s.revision_id for s in line.specs],
        }
        for line in req.lines
    ]
    return data


@dataclass
class _Checked:
    header: dict[str, Any]
    lines: list[dict[str, Any]]
    engagement: Engagement
    supplier: Supplier | None
    revisions: dict[uuid.UUID, tuple[Document, DocumentRevision]]


@dataclass
class Lookups:
    """Rows resolved once for a whole import instead of once per requirement."""

    engagements: dict[uuid.UUID, Engagement]
    suppliers: dict[uuid.UUID, Supplier]
    revisions: dict[uuid.UUID, tuple[Document, DocumentRevision]]
    references: set[str]


def _check_draft(
    session: Session,
    client_id: uuid.UUID,
    data: dict[str, Any],
    existing: Requirement | None,
    *,
    lookups: Lookups | None = None,
) -> _Checked:
    """Every rule that needs the database, all checked before anything is written."""
    errors: dict[str, str] = {}
    header = {name: data.get(name) for name in HEADER_FIELDS}
    for name in (
        "client_reference",
        "title",
        "payment_terms",
        "quote_reference",
        "ship_to",
        "sourcing_notes",
        "assumptions",
    ):
        header[name] = _text(header[name])

    if not header["title"]:
        errors["title"] = "Give the requirement a title, e.g. what is being bought."
    reference = header["client_reference"]
    if not reference:
        errors["client_reference"] = "Enter your reference for this requirement (e.g. REQ-1042)."
    elif existing is None or existing.client_reference != reference:
        if lookups is not None:
            taken = reference in lookups.references
        else:
            taken = session.scalar(
                sa.select(Requirement.id).where(
                    Requirement.tenant_id == client_id, Requirement.client_reference == reference
                )
            )
        if taken:
            errors["client_reference"] = f"Another requirement already uses {reference}."

    engagement = None
    if header["engagement_id"] is None:
        errors["engagement_id"] = "Choose the procurement provider to hand this to."
    else:
        if lookups is not None:
            engagement = lookups.engagements.get(header["engagement_id"])
        else:
            engagement = session.scalar(
                sa.select(Engagement).where(
                    Engagement.id == header["engagement_id"], Engagement.client_id == client_id
                )
            )
        if engagement is None:
            errors["engagement_id"] = "No such provider engagement."
        elif engagement.status != "active" and (
            existing is None or existing.engagement_id != engagement.id
        ):
            errors["engagement_id"] = (
                f"The engagement is {engagement.status}; choose an active provider."
            )

    supplier = None
    if header["supplier_id"] is not None:
        if lookups is not None:
            supplier = lookups.suppliers.get(header["supplier_id"])
        else:
            supplier = session.scalar(
                sa.select(Supplier).where(
                    Supplier.tenant_id == client_id, Supplier.id == header["supplier_id"]
                )
            )
        if supplier is None:
            errors["supplier_id"] = "No such supplier in your supplier list (not found)."

    currency = (_text(header["currency"]) or "").upper()
    if not currency and supplier is not None:
        currency = supplier.currency
    if currency and not (len(currency) == 3 and currency.isalpha() and currency.isascii()):
        errors["currency"] = "Use a three-letter ISO currency code, like EUR or USD."
    header["currency"] = currency
    if header["priority"] is None:
        header["priority"] = "normal"
    if header["priority"] not in PRIORITIES:
        errors["priority"] = f"Choose one of {', '.join(PRIORITIES)}."

    lines = list(data.get("lines") or [])
    if len(lines) > MAX_LINES:
        errors["lines"] = f"A requirement can have at most {MAX_LINES} lines."
    existing_ids = {line.id for line in existing.lines} if existing is not None else set()
    wanted = [rid for line in lines for rid in (line.get("spec_revision_ids") or [])]
    if lookups is not None:
        revisions = {rid: lookups.revisions[rid] for rid in wanted if rid in lookups.revisions}
    else:
        revisions = spec_revisions(session, client_id, wanted)
    for n, line in enumerate(lines, start=1):
        if line.get("id") is not None and line["id"] not in existing_ids:
            errors[f"lines[{n}]"] = "No such line on this requirement."
        if not _text(line.get("description")):
            errors[f"lines[{n}].description"] = f"Line {n}: describe the item."
        for rid in line.get("spec_revision_ids") or []:
            if rid not in revisions:
                errors[f"lines[{n}].specs"] = (
                    f"Line {n}: specification revision {rid} not found in your documents."
                )
        for name in ("quantity", "unit_price"):
            value = line.get(name)
            if value is not None and (
                not value.is_finite() or abs(value) >= Decimal("1e14") or value != round(value, 4)
            ):
                errors[f"lines[{n}].{name}"] = (
                    f"Line {n}: use at most 4 decimal places and fewer than 14 digits."
                )
    if errors:
        raise ValidationFailed(errors)
    return _Checked(header, lines, engagement, supplier, revisions)


def _describe(session: Session, req: Requirement) -> dict[str, Any]:
    """A flat view of the packet for the audit diff."""
    flat = {name: getattr(req, name) for name in HEADER_FIELDS}
    for line in req.lines:
        prefix = f"lines[{line.line_no}]"
        for name in (*LINE_FIELDS, "spec_required"):
            flat[f"{prefix}.{name}"] = getattr(line, name)
        flat[f"{prefix}.specs"] = sorted(str(s.revision_id) for s in line.specs)
    return flat


def save_draft(
    session: Session,
    client_id: uuid.UUID,
    user_id: uuid.UUID | None,
    data: dict[str, Any],
    requirement_id: uuid.UUID | None = None,
) -> Requirement:
    """Create a draft, or replace an editable one's header and lines with ``data``."""
    existing = None
    if requirement_id is not None:
        existing = get_for_client(session, client_id, requirement_id, lock=True)
        if existing.status not in states.EDITABLE_STATUSES:
            raise Conflict(
                f"A {states.label(existing.status).lower()} requirement cannot be edited."
            )
    checked = _check_draft(session, client_id, data, existing)
    return _write_draft(session, client_id, user_id, checked, existing)


def _write_draft(
    session: Session,
    client_id: uuid.UUID,
    user_id: uuid.UUID | None,
    checked: _Checked,
    existing: Requirement | None,
    *,
    action: str | None = None,
    extra_changes: dict | None = None,
    audit_later: list[dict] | None = None,
) -> Requirement:
    """Write a checked draft and audit it; with ``audit_later`` the audit event is
    appended there for the caller to record once a whole batch is flushed."""
    before = _describe(session, existing) if existing is not None else {}
    req = existing
    if req is None:
        # Empty collections set up front: reading them later needs no query.
        req = Requirement(
            id=uuid.uuid4(), tenant_id=client_id, status="draft", created_by_id=user_id, lines=[]
        )
        session.add(req)
    for name, value in checked.header.items():
        setattr(req, name, value)
    req.provider_id = checked.engagement.provider_id
    _replace_lines(session, req, checked)
    req.earliest_need_by = min(
        (line.need_by for line in req.lines if line.need_by is not None), default=None
    )
    req.ready = readiness.check(live_facts(req, checked.supplier), utc_today()).ready
    req.updated_at = utcnow()
    changes = audit.diff(before, _describe(session, req))
    if extra_changes:
        changes.update(extra_changes)
    event = {
        "tenant_id": client_id,
        # A draft is the client's own business; once handed over, the provider sees edits too.
        "provider_id": req.provider_id if req.submitted_at is not None else None,
        "action": action or ("requirement.created" if existing is None else "requirement.updated"),
        "entity_type": "requirement",
        "entity_id": req.id,
        "changes": changes,
    }
    if audit_later is not None:
        audit_later.append(event)
        return req
    session.flush()
    audit.record(session, **event)
    return req


def _replace_lines(session: Session, req: Requirement, checked: _Checked) -> None:
    by_id = {line.id: line for line in req.lines}
    kept_ids = {line.get("id") for line in checked.lines if line.get("id") is not None}
    for line in list(req.lines):
        if line.id not in kept_ids:
            req.lines.remove(line)
    # Renumber in two steps so the unique (requirement, line_no) never clashes mid-way.
    kept = [by_id[i] for i in kept_ids]
    if kept:
        session.flush()
        for n, line in enumerate(kept, start=1):
            line.line_no = -n
        session.flush()
    for n, data in enumerate(checked.lines, start=1):
        line = by_id.get(data.get("id")) if data.get("id") is not None else None
        if line is None:
            line = RequirementLine(
                id=uuid.uuid4(),
                tenant_id=req.tenant_id,
                provider_id=req.provider_id,
                requirement_id=req.id,
                specs=[],
            )
            req.lines.append(line)
        line.line_no = n
        line.provider_id = req.provider_id
        line.item_code = _text(data.get("item_code"))
        line.description = _text(data.get("description")) or ""
        line.quantity = data.get("quantity")
        line.unit = _text(data.get("unit"))
        line.unit_price = data.get("unit_price")
        line.need_by = data.get("need_by")
        line.spec_required = bool(data.get("spec_required"))
        wanted = list(dict.fromkeys(data.get("spec_revision_ids") or []))
        for spec in list(line.specs):
            if spec.revision_id not in wanted:
                line.specs.remove(spec)
            else:
                spec.provider_id = req.provider_id
        have = {s.revision_id for s in line.specs}
        for rid in wanted:
            if rid not in have:
                line.specs.append(
                    RequirementLineSpec(
                        id=uuid.uuid4(),
                        tenant_id=req.tenant_id,
                        provider_id=req.provider_id,
                        line_id=line.id,
                        revision_id=rid,
                    )
                )
    req.lines.sort(key=lambda item: item.line_no)


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
    """Check the move against the table, make it, audit it, emit its event."""
    move = states.TRANSITIONS.get(action)
    if move is None:
        raise ValueError(f"unknown requirement action {action!r}")
    if move.side != side:
        raise Forbidden(f"Only the {move.side} side can do that.")
    if req.status not in move.sources:
        raise Conflict(
            f"This requirement is {states.label(req.status).lower()}; it cannot be {move.verb}."
        )
    before = req.status
    req.status = move.target
    req.updated_at = utcnow()
    audit.record(
        session,
        tenant_id=req.tenant_id,
        provider_id=req.provider_id,
        action=f"requirement.{action}",
        entity_type="requirement",
        entity_id=req.id,
        changes={"status": [before, move.target], **(changes or {})},
    )
    if move.event and notify:
        emit(
            session,
            NOTIFY_JOB,
            {
                "event": move.event,
                "requirement_id": str(req.id),
                "from": before,
                **(event_payload or {}),
            },
            tenant_id=req.tenant_id,
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
        previous = session.scalar(
            sa.select(sa.func.max(HandoffSnapshot.version)).where(
                HandoffSnapshot.tenant_id == req.tenant_id,
                HandoffSnapshot.requirement_id == req.id,
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


def submit(
    session: Session,
    client_id: uuid.UUID,
    user_id: uuid.UUID | None,
    requirement_id: uuid.UUID,
    *,
    notify: bool = True,
    req: Requirement | None = None,
) -> Requirement:
    """Freeze the packet into a new snapshot and put it in the provider's queue."""
    req = req or get_for_client(session, client_id, requirement_id, lock=True)
    if not states.allowed("submit", req.status):
        raise Conflict(
            f"This requirement is {states.label(req.status).lower()}; it is not yours to submit."
        )
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
    now = utcnow()
    snap = _freeze(session, req, user_id, now)
    sla = timedelta(hours=float(engagement.sla_handoff_to_release_hours))
    before_due = req.sla_due_at
    if req.submitted_at is None or req.sla_due_at is None:
        req.submitted_at = req.submitted_at or now
        req.sla_due_at = now + sla
    elif req.returned_at is not None:
        # Time spent back with the client is the client's, not the provider's.
        req.sla_due_at = req.sla_due_at + (now - req.returned_at)
    req.returned_at = None
    req.current_snapshot_id = snap.id
    req.ready = snapshot_readiness(session, req, snap).ready
    return transition(
        session,
        req,
        "submit",
        side=states.CLIENT,
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
        side=states.CLIENT,
        changes={"reason": [None, reason]} if reason else None,
        # A draft never reached the provider, so nobody there needs telling.
        notify=req.submitted_at is not None,
    )


# --- provider actions -------------------------------------------------------------------------


def open_review(
    session: Session,
    provider_id: uuid.UUID,
    user_id: uuid.UUID | None,
    requirement_id: uuid.UUID,
    *,
    can_act: bool = True,
) -> Requirement:
    """Opening a submitted requirement starts its review (submitted -> in_review)."""
    req = get_for_provider(session, provider_id, requirement_id, lock=can_act)
    if can_act and req.status == "submitted":
        transition(session, req, "start_review", side=states.PROVIDER)
    return req


def accept(
    session: Session,
    provider_id: uuid.UUID,
    user_id: uuid.UUID | None,
    requirement_id: uuid.UUID,
    comment: str | None = None,
) -> Requirement:
    req = get_for_provider(session, provider_id, requirement_id, lock=True)
    if req.status == "submitted":
        transition(session, req, "start_review", side=states.PROVIDER)
    if not states.allowed("accept", req.status):
        raise Conflict(
            f"This requirement is {states.label(req.status).lower()}; it cannot be accepted."
        )
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
        side=states.PROVIDER,
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
    if not states.allowed("return", req.status):
        raise Conflict(
            f"This requirement is {states.label(req.status).lower()}; it cannot be returned."
        )
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
        side=states.PROVIDER,
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
    if req.status not in QUEUE_STATUSES:
        raise Conflict(f"A {states.label(req.status).lower()} requirement is not in the queue.")
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
