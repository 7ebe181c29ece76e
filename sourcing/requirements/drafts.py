"""Drafts: checking and saving what the client is writing, before any handoff."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform import audit
from baton.platform.db import utc_today, utcnow
from baton.platform.errors import Conflict, ValidationFailed
from baton.platform.inputs import clean_text, decimal_fits
from baton.sourcing.documents.models import Document, DocumentRevision
from baton.sourcing.requirements import readiness, snapshot, states
from baton.sourcing.requirements.models import (
    PRIORITIES,
    Requirement,
    RequirementLine,
    RequirementLineSpec,
)
from baton.sourcing.requirements.queries import get_for_client, live_facts, spec_revisions
from baton.sourcing.requirements.schemas import TYPE_ERRORS
from baton.sourcing.suppliers.currencies import currency_problem
from baton.sourcing.suppliers.models import Supplier
from baton.tenants.models import Engagement

MAX_LINES = 500

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


# --- drafts ----------------------------------------------------------------------------


# Header fields that hold several lines; every other text field is one line.
MULTILINE = frozenset({"ship_to", "sourcing_notes", "assumptions"})
LINE_TEXT = ("item_code", "description", "unit")


def _text(value: Any) -> str | None:
    """Text as stored, never refusing: the strict checks ran in ``_check_draft``
    (this also cleans comments and reasons typed elsewhere)."""
    if value is None:
        return None
    return clean_text(str(value).replace("\x00", ""), multiline=True)


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
    """Every rule that needs the database, all checked before anything is written.

    Cells the input schema could not parse (``schemas.TYPE_ERRORS``) are
    reported with these rules' problems, never instead of them."""
    errors: dict[str, str] = {}
    type_errors = data.get(TYPE_ERRORS) or {}
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
        try:
            header[name] = clean_text(header[name], multiline=name in MULTILINE)
        except ValueError as exc:
            errors[name] = str(exc)
            header[name] = None

    if not header["title"]:
        errors.setdefault("title", "Give the requirement a title, e.g. what is being bought.")
    reference = header["client_reference"]
    if not reference:
        errors.setdefault(
            "client_reference", "Enter your reference for this requirement (e.g. REQ-1042)."
        )
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
    # The one ISO 4217 list the supplier form uses too (XYZ is three letters, not a currency).
    if currency and (problem := currency_problem(currency)):
        errors["currency"] = problem
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
        for name in LINE_TEXT:
            try:
                clean_text(line.get(name))
            except ValueError as exc:
                errors[f"lines[{n}].{name}"] = f"Line {n}: {exc}"
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
            if value is not None and not decimal_fits(value):
                errors[f"lines[{n}].{name}"] = (
                    f"Line {n}: use at most 4 decimal places and fewer than 14 digits."
                )
    # A cell that did not parse reads as blank above; its own message says why.
    errors |= type_errors
    if errors:
        raise ValidationFailed(errors)
    return _Checked(header, lines, engagement, supplier, revisions)


def readiness_of(checked: _Checked, today: date) -> readiness.Readiness:
    """The readiness of a checked draft before it is written (an import's rows)."""
    header = checked.header
    return readiness.check(
        readiness.RequirementFacts(
            currency=header["currency"] or None,
            supplier=snapshot.supplier_facts(checked.supplier) if checked.supplier else None,
            quote_reference=header["quote_reference"],
            quote_valid_until=header["quote_valid_until"],
            ship_to=header["ship_to"],
            lines=tuple(
                readiness.LineFacts(
                    line_no=n,
                    description=_text(line.get("description")),
                    quantity=line.get("quantity"),
                    unit=_text(line.get("unit")),
                    unit_price=line.get("unit_price"),
                    need_by=line.get("need_by"),
                    spec_required=bool(line.get("spec_required")),
                    spec_count=len(
                        [r for r in line.get("spec_revision_ids") or [] if r in checked.revisions]
                    ),
                )
                for n, line in enumerate(checked.lines, start=1)
            ),
        ),
        today,
    )


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
        if existing.status not in states.REQUIREMENT.group("editable"):
            raise Conflict(
                f"A {states.REQUIREMENT.label(existing.status).lower()} requirement cannot be edited."
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
    moved = req.provider_id is not None and req.provider_id != checked.engagement.provider_id
    req.provider_id = checked.engagement.provider_id
    if moved:
        # Another provider now: it sees the packet only once handed to it, with
        # nothing of the first one's work (buyer, claim, clock) attached.
        req.submitted_at = None
        req.returned_at = None
        req.sla_due_at = None
        req.assigned_buyer_id = None
        req.claimed_at = None
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
    # The removed lines go first: in one flush SQLAlchemy inserts before it
    # deletes, and a new line 1 would meet the old line 1 still in its place.
    session.flush()
    # Renumber in two steps so the unique (requirement, line_no) never clashes mid-way.
    kept = [by_id[i] for i in kept_ids]
    if kept:
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
