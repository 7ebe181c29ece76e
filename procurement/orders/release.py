"""Releasing an order to its supplier, and cancelling one.

Release is a status change in the buyer's transaction plus one outbox job,
``procurement.send_po``: the job renders the PDF, stores it as a revision of
the order's document, commits, and then emails it to the supplier with the
signed link. The job may run twice (a retry after a crash or a refused
email): the stored revision is found again by its number and read back
rather than rendered again, and the email keeps its Message-ID, so the
supplier gets one order, once.
"""

from __future__ import annotations

import io
import uuid

import sqlalchemy as sa
from flask import current_app, url_for
from sqlalchemy.orm import Session

from baton.platform import mail, storage
from baton.platform.db import utcnow
from baton.platform.errors import ValidationFailed
from baton.platform.jobs import after_commit, job
from baton.platform.outbox import emit
from baton.platform.workflow import PROVIDER
from baton.procurement.orders import links, revisions
from baton.procurement.orders.documents import pdf_for
from baton.procurement.orders.fields import text_value
from baton.procurement.orders.models import PurchaseOrder
from baton.procurement.orders.queries import WITH_LINES, get_for_provider
from baton.procurement.orders.requirements import note_released, note_reopened
from baton.procurement.orders.states import PURCHASE_ORDER
from baton.sourcing.documents.models import Document, DocumentRevision
from baton.sourcing.documents.services import add_revision, create_document
from baton.sourcing.suppliers.models import Supplier
from baton.tenants.models import Organisation, User

SEND_PO = "procurement.send_po"
# Emitted by send_po until 2026-12-03; registered still for rows pending at an upgrade.
MAIL_PO = "procurement.mail_po"
SEND_CANCELLATION = "procurement.send_cancellation"
PDF_LIMIT = 20 * 1024 * 1024


def release(session: Session, provider_id: uuid.UUID, po_id: uuid.UUID) -> PurchaseOrder:
    po = get_for_provider(session, provider_id, po_id, lock=True)
    PURCHASE_ORDER.check("release", po.status, PROVIDER)
    supplier = session.get(Supplier, po.supplier_id)
    if supplier is None or not supplier.contact_email:
        raise ValidationFailed(
            {"supplier": "The supplier has no order contact email; ask the client to add one."}
        )
    po.released_at = utcnow()
    po.link_nonce = links.new_nonce()
    po.link_revoked_at = None
    PURCHASE_ORDER.apply(
        session, po, "release", side=PROVIDER, changes={"sent_to": [None, supplier.contact_email]}
    )
    note_released(session, po)
    revisions.freeze(session, po)
    emit(session, SEND_PO, {"po_id": str(po.id), "revision": po.revision}, about=po)
    return po


def cancel(
    session: Session, provider_id: uuid.UUID, po_id: uuid.UUID, reason: str | None
) -> PurchaseOrder:
    po = get_for_provider(session, provider_id, po_id, lock=True)
    try:
        reason = text_value(reason, limit=2000, multiline=True, required=True)
    except ValueError:
        raise ValidationFailed(
            {"reason": "Say why the order is cancelled; the supplier reads it."}
        ) from None
    was_released = PURCHASE_ORDER.in_group("released", po.status)
    PURCHASE_ORDER.apply(session, po, "cancel", side=PROVIDER, changes={"reason": [None, reason]})
    po.cancel_reason = reason
    po.cancelled_at = utcnow()
    if was_released:
        note_reopened(session, po, {line.requirement_id for line in po.lines})
        emit(session, SEND_CANCELLATION, {"po_id": str(po.id), "revision": po.revision}, about=po)
    return po


def _load(session: Session, payload: dict) -> PurchaseOrder | None:
    return session.scalar(
        sa.select(PurchaseOrder)
        .where(PurchaseOrder.id == uuid.UUID(payload["po_id"]))
        .options(*WITH_LINES)
    )


def stored_pdf(session: Session, po: PurchaseOrder) -> DocumentRevision:
    """The PDF of the order's current revision, rendered and stored on first call."""
    return _stored_pdf(session, po)[0]


def _stored_pdf(session: Session, po: PurchaseOrder) -> tuple[DocumentRevision, bytes | None]:
    """The stored revision, with its bytes when this call rendered them."""
    document = session.scalar(
        sa.select(Document).where(Document.tenant_id == po.tenant_id, Document.number == po.number)
    )
    wanted = po.revision + 1
    if document is not None and document.latest_revision_no >= wanted:
        found = session.scalar(
            sa.select(DocumentRevision).where(
                DocumentRevision.tenant_id == po.tenant_id,
                DocumentRevision.document_id == document.id,
                DocumentRevision.revision_no == wanted,
            )
        )
        return found, None
    content = pdf_for(session, po)
    store = storage.get_store(current_app)
    filename = f"{po.number}-rev{po.revision}.pdf"
    if document is None:
        revision = create_document(
            session,
            store,
            po.tenant_id,
            kind="po_pdf",
            title=f"Purchase order {po.number}",
            number=po.number,
            stream=io.BytesIO(content),
            filename=filename,
            max_bytes=PDF_LIMIT,
            provider_id=po.provider_id,
            kinds=("po_pdf",),
            note=f"Revision {po.revision}",
        )
    else:
        revision = add_revision(
            session,
            store,
            po.tenant_id,
            document.id,
            stream=io.BytesIO(content),
            filename=filename,
            max_bytes=PDF_LIMIT,
            note=f"Revision {po.revision}",
        )
    po.pdf_revision_id = revision.id
    revisions.note_pdf(session, po, revision)
    return revision, content


def _pdf_bytes(revision: DocumentRevision) -> bytes:
    with storage.get_store(current_app).open(revision.storage_key, revision.storage_version) as f:
        return f.read()


def _parties(session: Session, po: PurchaseOrder) -> tuple:
    return (
        session.get(Organisation, po.tenant_id),
        session.get(Organisation, po.provider_id),
        session.get(Supplier, po.supplier_id),
        session.get(User, po.buyer_id) if po.buyer_id else None,
    )


def _mail_context(session: Session, po: PurchaseOrder) -> tuple[Supplier, dict, str | None]:
    supplier = session.get(Supplier, po.supplier_id)
    buyer = session.get(User, po.buyer_id) if po.buyer_id else None
    client = session.get(Organisation, po.tenant_id)
    provider = session.get(Organisation, po.provider_id)
    context = {
        "number": po.number,
        "revision": po.revision,
        "client": client.name,
        "provider": provider.name,
        "supplier": supplier.name,
        "contact": supplier.contact_name,
        "buyer": buyer.name if buyer else provider.name,
        "buyer_email": buyer.email if buyer else None,
        "total": po.total,
        "currency": po.currency,
        "lines": len(po.lines),
        "reason": po.cancel_reason,
        "link": url_for("supplier_orders.order", token=links.token_for(po), _external=True)
        if po.link_nonce
        else None,
    }
    return supplier, context, buyer.email if buyer else None


def _release_mail(
    session: Session, po: PurchaseOrder, revision: DocumentRevision, content: bytes, payload: dict
) -> mail.OutgoingMail:
    supplier, context, reply_to = _mail_context(session, po)
    subject = f"Purchase order {po.number}" + (f" revision {po.revision}" if po.revision else "")
    return mail.OutgoingMail(
        to=[supplier.contact_email],
        subject=f"{subject} from {context['client']}",
        template="purchase_order_released",
        context=context | {"subject": subject},
        key=f"po:{po.id}:rev:{po.revision}:released",
        attachments=[mail.Attachment(revision.filename, content, "application/pdf")],
        reply_to=reply_to,
        tenant_id=po.tenant_id,
        outbox_id=uuid.UUID(payload["_outbox_id"]),
    )


def _current(session: Session, payload: dict) -> PurchaseOrder | None:
    po = _load(session, payload)
    if po is None or po.revision != payload["revision"] or po.status == "cancelled":
        return None  # superseded or cancelled since: the newer message says so
    return po


@job(
    SEND_PO,
    queue="high",
    label="Send purchase order to supplier",
    entity=lambda p: ("purchase_order", p["po_id"]),
)
def send_po(session: Session, payload: dict) -> None:
    """Render and store the PDF, then email it once that is committed: the
    mail ledger writes on a connection of its own, which must not wait for
    this transaction's writes (SQLite has one writer). A retry after a failed
    email reads the stored PDF back instead of rendering it again."""
    po = _current(session, payload)
    if po is None:
        return
    # The identity map holds objects weakly: held here, the parties the PDF
    # reads are still there for the email instead of being selected again.
    parties = _parties(session, po)
    revision, content = _stored_pdf(session, po)
    outgoing = _release_mail(session, po, revision, content or _pdf_bytes(revision), payload)
    after_commit(session, lambda: mail.send(outgoing))
    del parties


# The former second job: its pending rows now do all of send_po's work, which
# finds the PDF already stored.
job(
    MAIL_PO,
    queue="high",
    label="Email purchase order to supplier",
    entity=lambda p: ("purchase_order", p["po_id"]),
)(send_po)


@job(
    SEND_CANCELLATION,
    queue="high",
    label="Tell the supplier an order is cancelled",
    entity=lambda p: ("purchase_order", p["po_id"]),
)
def send_cancellation(session: Session, payload: dict) -> None:
    po = _load(session, payload)
    if po is None:
        return
    supplier, context, reply_to = _mail_context(session, po)
    if not supplier.contact_email:
        return
    subject = f"Purchase order {po.number} is cancelled"
    mail.send(
        mail.OutgoingMail(
            to=[supplier.contact_email],
            subject=subject,
            template="purchase_order_cancelled",
            context=context | {"subject": subject},
            key=f"po:{po.id}:cancelled",
            reply_to=reply_to,
            tenant_id=po.tenant_id,
            outbox_id=uuid.UUID(payload["_outbox_id"]),
        )
    )
