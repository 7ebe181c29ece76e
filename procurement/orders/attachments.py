"""Files that come with an order's paperwork: packing slips (on a shipment
notice or a receipt) and the supplier's acknowledgement as it arrived (an
email or a confirmation, entered by the buyer).

Each is stored as a revision of a document of its own, in the client's tenant
with the order's provider (DESIGN.md section 2: documents a provider creates
carry the provider_id of the order they belong to), through the same
document services and store as every other upload. An upload is checked
whole (type by content, size) before anything is written, and the error
names the form field it came in.

A revision is handed out only as one of an order's attachments
(``attachment_of``): whoever may read the order may read its attachments,
nobody else, and an id that is not attached to that order answers 404 like
a foreign one.
"""

from __future__ import annotations

import io
import secrets
import uuid
from dataclasses import dataclass
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from baton.platform import storage
from baton.platform.errors import NotFound, ValidationFailed
from baton.procurement.orders.models import POAcknowledgement, POReceipt, PurchaseOrder
from baton.procurement.orders.shipment_models import POShipment
from baton.sourcing.documents.filetypes import RefusedFile, clean_filename, sniff
from baton.sourcing.documents.models import DocumentRevision
from baton.sourcing.documents.services import create_document, megabytes

# Packing slips and confirmations are scans, photos or PDFs.
ALLOWED_TYPES = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/tiff": "TIFF",
}
# Acknowledgements often arrive as an email saved to a file, or as plain text.
ACK_TYPES = {**ALLOWED_TYPES, "text/plain": "text"}
LIMIT = 10 * 1024 * 1024
KIND_TITLES = {"packing_slip": "Packing slip", "acknowledgement": "Acknowledgement"}


@dataclass(frozen=True)
class Upload:
    """A file as a form or the API sent it, before any check."""

    stream: BinaryIO
    filename: str | None


def upload_from(file) -> Upload | None:
    """A werkzeug FileStorage, or None when the field was left empty."""
    if file is None or not getattr(file, "filename", None):
        return None
    return Upload(file.stream, file.filename)


def limit() -> int:
    configured = current_app.config["BATON_SETTINGS"].max_upload_bytes
    return min(LIMIT, configured)


def _seekable(stream: BinaryIO) -> BinaryIO:
    try:
        stream.seek(0)
        return stream
    except (AttributeError, OSError, ValueError):
        return io.BytesIO(stream.read(limit() + 1))


def check_upload(upload: Upload, field: str, allowed: dict[str, str] = ALLOWED_TYPES) -> Upload:
    """The same upload, readable from its start, if its size and content are
    acceptable; otherwise ValidationFailed naming ``field``."""
    stream = _seekable(upload.stream)
    shown = clean_filename(upload.filename, default="The file")
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if size > limit():
        raise ValidationFailed(
            {field: f"'{shown}' is larger than the {megabytes(limit())} limit; nothing was saved."}
        )
    try:
        content_type = sniff(stream, shown)
    except RefusedFile as exc:
        raise ValidationFailed({field: str(exc)}) from None
    if content_type not in allowed:
        kinds = ", ".join(allowed.values())
        raise ValidationFailed(
            {field: f"'{shown}' is not a {kinds} file; upload a scan or photo in one of those."}
        )
    return Upload(stream, upload.filename)


def store(
    session: Session,
    po: PurchaseOrder,
    upload: Upload,
    *,
    kind: str,
    field: str,
    note: str | None = None,
    uploaded_by_id: uuid.UUID | None = None,
) -> DocumentRevision:
    """Store a checked upload as the first revision of a new document of the order."""
    tag = {"packing_slip": "PS", "acknowledgement": "ACK"}[kind]
    try:
        return create_document(
            session,
            storage.get_store(current_app),
            po.tenant_id,
            kind=kind,
            title=f"{KIND_TITLES[kind]} for {po.number}",
            number=f"{po.number}-{tag}-{secrets.token_hex(4).upper()}",
            stream=upload.stream,
            filename=upload.filename,
            max_bytes=limit(),
            note=note,
            uploaded_by_id=uploaded_by_id,
            provider_id=po.provider_id,
            kinds=(kind,),
        )
    except ValidationFailed as exc:
        # The document service names its own fields (file, note); the form has one.
        raise ValidationFailed({field: " ".join(exc.errors.values())}) from None


def attachment_ids(
    shipments: list[POShipment], receipts: list[POReceipt], ack: POAcknowledgement | None
) -> set[uuid.UUID]:
    ids = {s.packing_slip_revision_id for s in shipments}
    ids |= {r.packing_slip_revision_id for r in receipts}
    if ack is not None:
        ids.add(ack.document_revision_id)
    return ids - {None}


def revisions_by_id(session: Session, tenant_id: uuid.UUID, ids: set[uuid.UUID]) -> dict:
    if not ids:
        return {}
    rows = session.scalars(
        sa.select(DocumentRevision).where(
            DocumentRevision.tenant_id == tenant_id, DocumentRevision.id.in_(ids)
        )
    )
    return {r.id: r for r in rows}


def attachment_of(
    session: Session, po: PurchaseOrder, revision_id: uuid.UUID, *, supplier: bool = False
) -> DocumentRevision:
    """A file attached to ``po`` (already read within the caller's scope). The
    supplier's link reaches only the packing slips of its shipment notices."""
    tenant, po_id = po.tenant_id, po.id
    found = session.scalar(
        sa.select(POShipment.id).where(
            POShipment.tenant_id == tenant,
            POShipment.po_id == po_id,
            POShipment.packing_slip_revision_id == revision_id,
        )
    )
    if found is None and not supplier:
        found = session.scalar(
            sa.select(POReceipt.id).where(
                POReceipt.tenant_id == tenant,
                POReceipt.po_id == po_id,
                POReceipt.packing_slip_revision_id == revision_id,
            )
        ) or session.scalar(
            sa.select(POAcknowledgement.id).where(
                POAcknowledgement.tenant_id == tenant,
                POAcknowledgement.po_id == po_id,
                POAcknowledgement.document_revision_id == revision_id,
            )
        )
    revision = session.get(DocumentRevision, revision_id) if found else None
    if revision is None or revision.tenant_id != tenant:
        raise NotFound("No such attachment on this order.")
    return revision


def record_acknowledgement(
    session: Session,
    provider_id: uuid.UUID,
    user_id: uuid.UUID | None,
    po_id: uuid.UUID,
    raw_lines: list[dict],
    *,
    source: str,
    note: str | None,
    attachment: Upload | None = None,
) -> POAcknowledgement:
    """``acknowledgements.record_for_buyer`` with the supplier's email or
    confirmation as a file, checked before anything is written."""
    from baton.platform import audit
    from baton.procurement.orders import acknowledgements

    if attachment is not None:
        attachment = check_upload(attachment, "attachment", ACK_TYPES)
    ack = acknowledgements.record_for_buyer(
        session, provider_id, user_id, po_id, raw_lines, source=source, note=note
    )
    if attachment is None:
        return ack
    po = session.get(PurchaseOrder, po_id)
    revision = store(
        session,
        po,
        attachment,
        kind="acknowledgement",
        field="attachment",
        note=f"Received by {source}",
        uploaded_by_id=user_id,
    )
    ack.document_revision_id = revision.id
    audit.record(
        session,
        tenant_id=po.tenant_id,
        provider_id=po.provider_id,
        action="purchase_order.acknowledgement_attached",
        entity_type="purchase_order",
        entity_id=po.id,
        changes={"attachment": [None, revision.filename]},
    )
    return ack
