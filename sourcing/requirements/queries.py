"""Reading requirements, their snapshots and reviews, and their live readiness."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from baton.platform.db import utc_today
from baton.platform.engine import PREPARED
from baton.platform.errors import NotFound
from baton.platform.inputs import check_page
from baton.platform.search import LIKE_ESCAPE, contains
from baton.sourcing.documents import services as documents
from baton.sourcing.documents.models import Document, DocumentRevision
from baton.sourcing.requirements import readiness, snapshot, states
from baton.sourcing.requirements.models import (
    HandoffSnapshot,
    Requirement,
    RequirementLine,
    RequirementReview,
)
from baton.sourcing.suppliers.models import Supplier
from baton.tenants.models import Engagement, Organisation

# --- reading -------------------------------------------------------------------------


# One requirement with its lines and their specifications: three statements
# however many lines it has.
WITH_LINES = (selectinload(Requirement.lines).selectinload(RequirementLine.specs),)
# A read's form: the supplier, the lines and their specifications in the
# requirement's own statement (one round trip, one plan, and the row-level
# policies judged once per table). A locking read keeps WITH_LINES: FOR UPDATE
# cannot lock the nullable side of an outer join.
READ_WITH_LINES = (
    joinedload(Requirement.supplier),
    joinedload(Requirement.lines).joinedload(RequirementLine.specs),
)


def one_requirement(session: Session, stmt: sa.Select, lock: bool) -> Requirement | None:
    """The requirement ``stmt`` selects, with its supplier, lines and specifications."""
    if lock:
        return session.scalar(stmt.options(*WITH_LINES).with_for_update())
    stmt = stmt.options(*READ_WITH_LINES).execution_options(**PREPARED)
    return session.scalars(stmt).unique().one_or_none()


def get_for_client(
    session: Session, client_id: uuid.UUID, requirement_id: uuid.UUID, *, lock: bool = False
) -> Requirement:
    stmt = sa.select(Requirement).where(
        Requirement.tenant_id == client_id, Requirement.id == requirement_id
    )
    req = one_requirement(session, stmt, lock)
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
    """``status`` is one status or a group of them (a filter group of ``states.REQUIREMENT``)."""
    stmt = sa.select(Requirement).where(Requirement.tenant_id == client_id)
    if status:
        stmt = stmt.where(Requirement.status.in_(states.REQUIREMENT.statuses_for(status)))
    if q:
        pattern = contains(q)
        stmt = stmt.where(
            sa.or_(
                Requirement.title.ilike(pattern, escape=LIKE_ESCAPE),
                Requirement.client_reference.ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
    page = check_page(page)
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
            # Versions restart per provider, so time orders them across providers.
            .order_by(HandoffSnapshot.created_at.desc(), HandoffSnapshot.version.desc())
        )
    )


def get_snapshot(session: Session, req: Requirement, snapshot_id: uuid.UUID) -> HandoffSnapshot:
    snap = session.scalar(
        sa.select(HandoffSnapshot)
        .where(
            HandoffSnapshot.tenant_id == req.tenant_id,
            HandoffSnapshot.requirement_id == req.id,
            HandoffSnapshot.id == snapshot_id,
        )
        .execution_options(**PREPARED)
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


@dataclass(frozen=True)
class OutdatedSpec:
    """A line bound to a specification revision that a newer revision has replaced."""

    line_no: int
    document_number: str
    title: str
    revision_no: int
    latest_revision_no: int

    @property
    def message(self) -> str:
        return (
            f"Line {self.line_no} is bound to {self.document_number} rev {self.revision_no},"
            f" but rev {self.latest_revision_no} is now the latest revision of {self.title}."
        )


def outdated_specs(
    session: Session,
    tenant_id: uuid.UUID,
    bound: Iterable[tuple[int, uuid.UUID | str]],
    known: dict[uuid.UUID, tuple[Document, DocumentRevision]] | None = None,
) -> list[OutdatedSpec]:
    """Which of the ``(line_no, revision_id)`` bindings are no longer their
    document's latest revision (one query, none when ``known`` holds them)."""
    pairs = [(n, uuid.UUID(str(rid))) for n, rid in bound]
    if known is None:
        known = spec_revisions(session, tenant_id, list({rid for _n, rid in pairs}))
    found = []
    for n, rid in pairs:
        doc, rev = known.get(rid, (None, None))
        if doc is not None and rev.revision_no < doc.latest_revision_no:
            found.append(
                OutdatedSpec(n, doc.number, doc.title, rev.revision_no, doc.latest_revision_no)
            )
    return found


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
    session: Session,
    req: Requirement,
    snap: HandoffSnapshot,
    on: date | None = None,
    *,
    for_provider: bool = False,
) -> readiness.Readiness:
    """What the provider judges: the frozen packet, with the supplier as it is today."""
    return readiness.check(
        snapshot.facts(snap.payload, supplier_of(session, req)),
        on or utc_today(),
        for_provider=for_provider,
    )


def available_actions(req: Requirement, may_write: bool) -> frozenset[str]:
    """What a client user may do with this requirement now, for the page to offer."""
    if not may_write:
        return frozenset()
    found = {a for a in ("submit", "cancel") if states.REQUIREMENT.allowed(a, req.status)}
    if states.REQUIREMENT.in_group("editable", req.status):
        found.add("edit")
    return frozenset(found)


def readiness_for(
    session: Session,
    req: Requirement,
    snap: HandoffSnapshot | None = None,
    *,
    provider_view: bool = False,
) -> readiness.Readiness:
    """The one rule for which readiness a page or the API shows: the frozen
    snapshot's once the packet is out of the client's hands (and always to the
    provider), the live packet's while the client may still change it."""
    snap = snap if snap is not None else current_snapshot(session, req)
    editable = states.REQUIREMENT.in_group("editable", req.status)
    if snap is not None and (provider_view or not editable):
        return snapshot_readiness(session, req, snap, for_provider=provider_view)
    return live_readiness(session, req)


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


def compare_snapshot(
    session: Session, req: Requirement, snapshot_id: uuid.UUID, against_id: str | None = None
) -> dict[str, Any]:
    """A snapshot, every version, and its diff against ``against_id`` (the previous
    version by default), with whether its stored digest still matches."""
    snap = get_snapshot(session, req, snapshot_id)
    snaps = snapshots_of(session, req)
    against = None
    if against_id:
        try:
            against = get_snapshot(session, req, uuid.UUID(str(against_id)))
        except (ValueError, NotFound):
            against = None
    if against is None:
        against = next(
            (
                s
                for s in snaps
                if s.provider_id == snap.provider_id and s.version == snap.version - 1
            ),
            None,
        )
    return {
        "snap": snap,
        "snapshots": snaps,
        "against": against,
        "changes": snapshot.diff(against.payload, snap.payload) if against is not None else [],
        "verified": snapshot.digest(snap.payload) == snap.sha256,
    }
