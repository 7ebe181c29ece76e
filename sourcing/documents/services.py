"""Documents and their immutable revisions.

An upload is checked whole (size, type by content, SHA-256) before anything is
written. The bytes go to the document store under a fresh key made from ids;
only then are the rows written. If the store fails, nothing is written and the
caller gets ``StoreUnavailable``; if the transaction fails afterwards, the
object is deleted again (``storage.forget_on_rollback``).

Functions take the session and the tenant (the client organisation the
document belongs to) explicitly; ``provider_id`` is set only for documents a
provider creates (PO PDFs, packing slips). Lookups by id answer ``NotFound``
for missing and foreign ids alike.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform import audit, storage
from baton.platform.errors import NotFound, ValidationFailed
from baton.platform.inputs import clean_text
from baton.platform.notify import publish
from baton.platform.search import LIKE_ESCAPE, contains
from baton.sourcing.documents.filetypes import RefusedFile, clean_filename, sniff
from baton.sourcing.documents.models import Document, DocumentRevision

# Published when a client document gets a new revision (payload: ids, number, revision_no).
REVISED = "document.revised"

CLIENT_KINDS = ("specification", "drawing", "quote", "certificate", "other")
KIND_LABELS = {
    "specification": "Specification",
    "drawing": "Drawing",
    "quote": "Quote",
    "certificate": "Certificate",
    "po_pdf": "Purchase order",
    "acknowledgement": "Acknowledgement",
    "packing_slip": "Packing slip",
    "other": "Other",
}
DOCUMENT_FIELDS = ("kind", "title", "number")
REVISION_FIELDS = ("revision_no", "filename", "content_type", "size", "sha256", "note")
NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
CHUNK = 1024 * 1024
SPOOL_IN_MEMORY = 8 * 1024 * 1024


def megabytes(size: int) -> str:
    mb = size / (1024 * 1024)
    return f"{mb:.0f} MB" if mb >= 10 or mb == int(mb) else f"{mb:.1f} MB"


@dataclass
class CheckedUpload:
    """An upload that passed every check, spooled so it can be read again."""

    file: BinaryIO
    filename: str
    size: int
    sha256: str
    content_type: str


@contextmanager
def checked_upload(
    stream: BinaryIO, filename: str | None, max_bytes: int
) -> Iterator[CheckedUpload]:
    """Copy the upload aside while hashing it, refuse it if too large or not an
    allowed type. Raises ValidationFailed on field ``file`` naming the file."""
    shown = clean_filename(filename, default="")
    label = f"'{shown}'" if shown else "The file"
    digest = hashlib.sha256()
    size = 0
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - closed below
    try:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise ValidationFailed(
                    {
                        "file": f"{label} is larger than the {megabytes(max_bytes)} limit;"
                        " nothing was saved."
                    }
                )
            digest.update(chunk)
            spool.write(chunk)
        try:
            content_type = sniff(spool, shown)
        except RefusedFile as exc:
            raise ValidationFailed({"file": str(exc)}) from exc
        spool.seek(0)
        yield CheckedUpload(spool, shown or "document", size, digest.hexdigest(), content_type)
    finally:
        spool.close()


# --- reads ----------------------------------------------------------------------


def get_document(session: Session, tenant_id: uuid.UUID, document_id: uuid.UUID) -> Document:
    document = session.scalar(
        sa.select(Document).where(Document.tenant_id == tenant_id, Document.id == document_id)
    )
    if document is None:
        raise NotFound("No such document.")
    return document


def get_revision(
    session: Session,
    tenant_id: uuid.UUID,
    revision_id: uuid.UUID,
    document_id: uuid.UUID | None = None,
) -> DocumentRevision:
    stmt = sa.select(DocumentRevision).where(
        DocumentRevision.tenant_id == tenant_id, DocumentRevision.id == revision_id
    )
    if document_id is not None:
        stmt = stmt.where(DocumentRevision.document_id == document_id)
    revision = session.scalar(stmt)
    if revision is None:
        raise NotFound("No such document revision.")
    return revision


def revisions_of(
    session: Session, tenant_id: uuid.UUID, document_id: uuid.UUID
) -> list[DocumentRevision]:
    """Newest first."""
    get_document(session, tenant_id, document_id)
    return list(
        session.scalars(
            sa.select(DocumentRevision)
            .where(
                DocumentRevision.tenant_id == tenant_id,
                DocumentRevision.document_id == document_id,
            )
            .order_by(DocumentRevision.revision_no.desc())
        )
    )


def list_documents(
    session: Session,
    tenant_id: uuid.UUID,
    *,
    kind: str | None = None,
    q: str | None = None,
    client_only: bool = True,
    limit: int = 200,
    offset: int = 0,
) -> list[Document]:
    """The client's own documents (``client_only``), newest first."""
    stmt = sa.select(Document).where(Document.tenant_id == tenant_id)
    if client_only:
        stmt = stmt.where(Document.provider_id.is_(None))
    if kind:
        stmt = stmt.where(Document.kind == kind)
    if q:
        pattern = contains(q)
        stmt = stmt.where(
            sa.or_(
                Document.title.ilike(pattern, escape=LIKE_ESCAPE),
                Document.number.ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
    return list(
        session.scalars(stmt.order_by(Document.created_at.desc()).limit(limit).offset(offset))
    )


def client_revisions(tenant_id: uuid.UUID) -> sa.Select:
    """Revisions of the client's own documents with their document; a provider's
    PO PDFs and packing slips are never specifications."""
    return (
        sa.select(Document, DocumentRevision)
        .join(
            DocumentRevision,
            sa.and_(
                DocumentRevision.document_id == Document.id,
                DocumentRevision.tenant_id == Document.tenant_id,
            ),
        )
        .where(Document.tenant_id == tenant_id, Document.provider_id.is_(None))
    )


def revision_choices(
    session: Session, tenant_id: uuid.UUID, kinds: tuple[str, ...] = ("specification", "drawing")
) -> list[tuple[Document, DocumentRevision]]:
    """Every revision of the client's documents of ``kinds``, e.g. to attach to a line."""
    rows = session.execute(
        client_revisions(tenant_id)
        .where(Document.kind.in_(kinds))
        .order_by(Document.number, DocumentRevision.revision_no.desc())
    )
    return [(d, r) for d, r in rows]


# --- writes ---------------------------------------------------------------------


def _check_header(
    session: Session, tenant_id: uuid.UUID, kind: str, title: str | None, number: str | None, kinds
) -> tuple[str, str | None]:
    errors = {}
    if kind not in kinds:
        errors["kind"] = f"Choose one of: {', '.join(KIND_LABELS[k].lower() for k in kinds)}."
    try:
        title = clean_text(title) or ""
    except ValueError as exc:  # a NUL character, or a line break in the title
        errors["title"] = str(exc)
    else:
        if not title:
            errors["title"] = "Give the document a title."
        elif len(title) > 200:
            errors["title"] = "A title is at most 200 characters."
    number = (number or "").strip() or None
    if number is not None:
        if not NUMBER_RE.match(number):
            errors["number"] = (
                "A document number is up to 64 letters, digits, '.', '_', '/' or '-'."
            )
        elif session.scalar(
            sa.select(Document.id).where(Document.tenant_id == tenant_id, Document.number == number)
        ):
            errors["number"] = (
                f"Document {number} already exists; upload a new revision of it instead."
            )
    if errors:
        raise ValidationFailed(errors)
    return title, number


def _next_number(session: Session, tenant_id: uuid.UUID) -> str:
    count = session.scalar(
        sa.select(sa.func.count()).select_from(Document).where(Document.tenant_id == tenant_id)
    )
    n = (count or 0) + 1
    while session.scalar(
        sa.select(Document.id).where(
            Document.tenant_id == tenant_id, Document.number == f"DOC-{n:05d}"
        )
    ):
        n += 1
    return f"DOC-{n:05d}"


def _check_note(note: str | None) -> str | None:
    try:
        note = clean_text(note, multiline=True)
    except ValueError as exc:
        raise ValidationFailed({"note": str(exc)}) from None
    if note and len(note) > 2000:
        raise ValidationFailed({"note": "A change note is at most 2000 characters."})
    return note


def create_document(
    session: Session,
    store: storage.DocumentStore,
    tenant_id: uuid.UUID,
    *,
    kind: str,
    title: str,
    stream: BinaryIO,
    filename: str | None,
    max_bytes: int,
    number: str | None = None,
    note: str | None = None,
    uploaded_by_id: uuid.UUID | None = None,
    provider_id: uuid.UUID | None = None,
    kinds: tuple[str, ...] = CLIENT_KINDS,
) -> DocumentRevision:
    """A new document with its first revision; returns the revision (``.document`` set)."""
    title, number = _check_header(session, tenant_id, kind, title, number, kinds)
    note = _check_note(note)
    with checked_upload(stream, filename, max_bytes) as upload:
        document = Document(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            provider_id=provider_id,
            kind=kind,
            title=title,
            number=number or _next_number(session, tenant_id),
            latest_revision_no=0,
            created_by_id=uploaded_by_id,
        )
        revision = _store_revision(session, store, document, upload, note, uploaded_by_id, True)
    return revision


def add_revision(
    session: Session,
    store: storage.DocumentStore,
    tenant_id: uuid.UUID,
    document_id: uuid.UUID,
    *,
    stream: BinaryIO,
    filename: str | None,
    max_bytes: int,
    note: str | None = None,
    uploaded_by_id: uuid.UUID | None = None,
) -> DocumentRevision:
    """Revision n+1 of an existing document; earlier revisions stay as they were."""
    note = _check_note(note)
    document = session.scalar(
        sa.select(Document)
        .where(Document.tenant_id == tenant_id, Document.id == document_id)
        .with_for_update()
    )
    if document is None:
        raise NotFound("No such document.")
    with checked_upload(stream, filename, max_bytes) as upload:
        revision = _store_revision(session, store, document, upload, note, uploaded_by_id, False)
    if document.provider_id is None:
        # Orders bought to an earlier revision are procurement's to flag; it
        # subscribes to this event (sourcing never imports procurement).
        publish(
            session,
            REVISED,
            {
                "document_id": str(document.id),
                "number": document.number,
                "revision_id": str(revision.id),
                "revision_no": revision.revision_no,
            },
            about=document,
        )
    return revision


def _store_revision(
    session: Session,
    store: storage.DocumentStore,
    document: Document,
    upload: CheckedUpload,
    note: str | None,
    uploaded_by_id: uuid.UUID | None,
    new_document: bool,
) -> DocumentRevision:
    revision_id = uuid.uuid4()
    key = storage.document_key(document.tenant_id, document.id, revision_id)
    # Bytes first: if the store fails, no row has been written yet.
    version = store.put(key, upload.file, upload.content_type, upload.sha256)
    storage.forget_on_rollback(session, store, key, version)
    try:
        revision = DocumentRevision(
            id=revision_id,
            tenant_id=document.tenant_id,
            provider_id=document.provider_id,
            document_id=document.id,
            revision_no=document.latest_revision_no + 1,
            filename=upload.filename,
            content_type=upload.content_type,
            size=upload.size,
            sha256=upload.sha256,
            storage_key=key,
            storage_version=version,
            uploaded_by_id=uploaded_by_id,
            note=note,
        )
        document.latest_revision_no = revision.revision_no
        if new_document:
            session.add(document)
            session.flush([document])
        session.add(revision)
        session.flush()
    except Exception:
        # The transaction is lost; make sure the object goes even if nobody rolls back.
        storage.delete_quietly(store, key, version)
        raise
    if new_document:
        audit.record(
            session,
            tenant_id=document.tenant_id,
            provider_id=document.provider_id,
            action="document.created",
            entity_type="document",
            entity_id=document.id,
            changes=audit.diff({}, audit.snapshot(document, DOCUMENT_FIELDS)),
        )
    audit.record(
        session,
        tenant_id=document.tenant_id,
        provider_id=document.provider_id,
        action="document.revision_added",
        entity_type="document",
        entity_id=document.id,
        changes=audit.diff({}, audit.snapshot(revision, REVISION_FIELDS)),
    )
    return revision


def history(session: Session, tenant_id: uuid.UUID, document_id: uuid.UUID) -> list:
    get_document(session, tenant_id, document_id)
    return audit.events_for(session, tenant_id, "document", document_id)
