"""Every released revision of an order, frozen as it was sent.

Release writes revision 0, each change order's release the next one. The PDF
of revision n is revision n + 1 of the order's document (``release.stored_pdf``);
the row keeps its id once the send job has stored it.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.errors import NotFound
from baton.procurement.orders.change_models import PORevision
from baton.procurement.orders.change_proposals import line_state
from baton.procurement.orders.models import PurchaseOrder
from baton.sourcing.documents.models import Document, DocumentRevision


def freeze(session: Session, po: PurchaseOrder, change_id: uuid.UUID | None = None) -> PORevision:
    """Record what the order's current revision says (idempotent per revision)."""
    existing = session.scalar(
        sa.select(PORevision).where(
            PORevision.tenant_id == po.tenant_id,
            PORevision.po_id == po.id,
            PORevision.revision == po.revision,
        )
    )
    if existing is not None:
        return existing
    row = PORevision(
        id=uuid.uuid4(),
        tenant_id=po.tenant_id,
        provider_id=po.provider_id,
        po_id=po.id,
        revision=po.revision,
        header={
            "currency": po.currency,
            "payment_terms": po.payment_terms,
            "incoterms": po.incoterms,
            "ship_to": po.ship_to,
            "notes": po.notes,
            "total": f"{po.total:.2f}",
        },
        lines=[
            line_state(line)
            | {"item_code": line.item_code, "description": line.description, "unit": line.unit}
            for line in po.lines
        ],
        total=po.total,
        change_id=change_id,
        released_at=po.released_at,
    )
    session.add(row)
    return row


def note_pdf(session: Session, po: PurchaseOrder, pdf: DocumentRevision) -> None:
    """The send job stored revision ``po.revision``'s PDF: remember which it is."""
    session.execute(
        sa.update(PORevision)
        .where(
            PORevision.tenant_id == po.tenant_id,
            PORevision.po_id == po.id,
            PORevision.revision == po.revision,
        )
        .values(pdf_revision_id=pdf.id)
    )


def revisions_of(session: Session, po: PurchaseOrder) -> list[PORevision]:
    return list(
        session.scalars(
            sa.select(PORevision)
            .where(PORevision.tenant_id == po.tenant_id, PORevision.po_id == po.id)
            .order_by(PORevision.revision.desc())
        )
    )


def revision_of(session: Session, po: PurchaseOrder, revision: int) -> PORevision:
    row = session.scalar(
        sa.select(PORevision).where(
            PORevision.tenant_id == po.tenant_id,
            PORevision.po_id == po.id,
            PORevision.revision == revision,
        )
    )
    if row is None:
        raise NotFound(f"{po.number} has no revision {revision}.")
    return row


def pdf_of(session: Session, po: PurchaseOrder, row: PORevision) -> DocumentRevision:
    """The stored PDF of one revision; NotFound until the send job has stored it."""
    pdf = None
    if row.pdf_revision_id is not None:
        pdf = session.scalar(
            sa.select(DocumentRevision).where(
                DocumentRevision.tenant_id == po.tenant_id,
                DocumentRevision.id == row.pdf_revision_id,
            )
        )
    if pdf is None:
        pdf = session.scalar(
            sa.select(DocumentRevision)
            .join(
                Document,
                sa.and_(
                    Document.id == DocumentRevision.document_id,
                    Document.tenant_id == DocumentRevision.tenant_id,
                ),
            )
            .where(
                Document.tenant_id == po.tenant_id,
                Document.number == po.number,
                Document.provider_id == po.provider_id,
                DocumentRevision.revision_no == row.revision + 1,
            )
        )
    if pdf is None:
        raise NotFound(f"The PDF of revision {row.revision} is still being prepared.")
    return pdf
