"""How the sourcing area's things read in an audit log and a requirement's
history (see ``platform.audit_text``)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.audit_text import Keys, ids_of, names_by_id
from baton.platform.tasks import BackgroundTask
from baton.sourcing.documents.models import Document, DocumentRevision
from baton.sourcing.requirements.models import RETURN_REASONS, Requirement
from baton.sourcing.requirements.snapshot import field_label
from baton.sourcing.suppliers.models import Supplier


def _requirements(session: Session, keys: Keys) -> dict:
    rows = session.execute(
        sa.select(
            Requirement.id,
            Requirement.tenant_id,
            Requirement.client_reference + " — " + Requirement.title,
        ).where(
            Requirement.id.in_(ids_of(keys)),
            Requirement.tenant_id.in_({t for t, _v in keys}),
        )
    )
    return names_by_id(keys, rows)


def _suppliers(session: Session, keys: Keys) -> dict:
    rows = session.execute(
        sa.select(Supplier.id, Supplier.tenant_id, Supplier.name).where(
            Supplier.id.in_(ids_of(keys)), Supplier.tenant_id.in_({t for t, _v in keys})
        )
    )
    return names_by_id(keys, rows)


def _documents(session: Session, keys: Keys) -> dict:
    rows = session.execute(
        sa.select(Document.id, Document.tenant_id, Document.number + " — " + Document.title).where(
            Document.id.in_(ids_of(keys)), Document.tenant_id.in_({t for t, _v in keys})
        )
    )
    return names_by_id(keys, rows)


def _revisions(session: Session, keys: Keys) -> dict:
    rows = session.execute(
        sa.select(
            DocumentRevision.id,
            DocumentRevision.tenant_id,
            Document.number,
            DocumentRevision.revision_no,
        )
        .join(
            Document,
            sa.and_(
                Document.id == DocumentRevision.document_id,
                Document.tenant_id == DocumentRevision.tenant_id,
            ),
        )
        .where(
            DocumentRevision.id.in_(ids_of(keys)),
            DocumentRevision.tenant_id.in_({t for t, _v in keys}),
        )
    )
    return names_by_id(keys, ((i, t, f"{number} rev {n}") for i, t, number, n in rows))


def _tasks(session: Session, keys: Keys) -> dict:
    rows = session.execute(
        sa.select(BackgroundTask.id, BackgroundTask.tenant_id, BackgroundTask.label).where(
            BackgroundTask.id.in_(ids_of(keys)),
            BackgroundTask.tenant_id.in_({t for t, _v in keys}),
        )
    )
    return names_by_id(keys, rows)


def _reasons(value) -> str:
    """Return reasons as the client reads them: "Missing specification (Line 1 specifications): …"."""
    if not isinstance(value, list):
        return str(value)
    out = []
    for r in value:
        if not isinstance(r, dict):
            out.append(str(r))
            continue
        text = RETURN_REASONS.get(r.get("code"), str(r.get("code") or "Reason"))
        if r.get("field"):
            text += f" ({field_label(r['field'])})"
        if r.get("comment"):
            text += f": {r['comment']}"
        out.append(text)
    return "; ".join(out)


NAMES = {
    "requirement": _requirements,
    "supplier": _suppliers,
    "document": _documents,
    "document_revision": _revisions,
    "task": _tasks,
}
FIELDS = {
    "specs": "document_revision",
    "spec_revision_ids": "document_revision",
    "revision_id": "document_revision",
    "supplier_id": "supplier",
    "engagement_id": "engagement",
    "import_task": "task",
}
ACTIONS = {
    "requirement.submit": "Handed off to the provider",
    "requirement.start_review": "Review started",
    "requirement.accept": "Accepted",
    "requirement.return": "Returned to the client",
    "requirement.cancel": "Cancelled",
    "requirement.order": "Ordered",
    "requirement.reopen": "Back to ordering (an order line was removed or cancelled)",
    "requirement.close": "Closed",
    "requirement.assigned": "Buyer assigned",
    "requirement.unassigned": "Buyer unassigned",
    "requirement.sla_due_moved": "SLA due time moved",
    "document.revision_added": "Document revision added",
    "document.downloaded": "Specification downloaded",
}
VALUES = {"reasons": _reasons}
