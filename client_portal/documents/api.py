"""Documents for integrations: upload revisions (multipart), list them, download.

A download URL is issued only after the token's organisation is checked
against the document: a presigned S3 URL valid for a couple of minutes, or,
with the local store, this API's own content endpoint (token required).
"""

from __future__ import annotations

import uuid

from flask import current_app, url_for

from baton.platform import storage
from baton.platform.api import (
    PAGE_SIZE,
    ApiBlueprint,
    PageQuerySchema,
    page_from_rows,
    page_of,
    token_required,
)
from baton.platform.auth import identity
from baton.platform.web import dbs
from baton.sourcing.documents import services
from baton.sourcing.documents.downloads import revision_response, revision_url
from baton.sourcing.documents.schemas import (
    DocumentPageSchema,
    DocumentQuerySchema,
    DocumentWithRevisionsSchema,
    DownloadUrlSchema,
    NewDocumentUploadSchema,
    RevisionPageSchema,
    RevisionSchema,
    RevisionUploadSchema,
)

blp = ApiBlueprint(
    "api_documents",
    __name__,
    description="The client's documents and revisions",
    ids={
        "document_id": "the document's id, from GET /api/v1/documents",
        "revision_id": "the revision's id, from GET /api/v1/documents/{document_id}/revisions",
    },
)


def _tenant_id() -> uuid.UUID:
    return identity().organisation.id


def _max_bytes() -> int:
    return current_app.config["BATON_SETTINGS"].max_upload_bytes


def _with_revisions(document_id: uuid.UUID) -> dict:
    document = services.get_document(dbs(), _tenant_id(), document_id)
    revisions = services.revisions_of(dbs(), _tenant_id(), document_id)
    fields = ("id", "kind", "title", "number", "latest_revision_no", "created_at")
    return {
        **{name: getattr(document, name) for name in fields},
        "revisions": list(reversed(revisions)),
    }


@blp.get("/documents")
@token_required(kind="client")
@blp.arguments(DocumentQuerySchema, location="query")
@blp.response(200, DocumentPageSchema)
def list_documents(args):
    """The client's documents, newest first, 50 a page."""
    rows = services.list_documents(
        dbs(),
        _tenant_id(),
        kind=args.get("kind"),
        q=args.get("q"),
        limit=PAGE_SIZE + 1,
        offset=(args["page"] - 1) * PAGE_SIZE,
    )
    return page_from_rows(rows, args["page"])


@blp.post("/documents")
@token_required(kind="client", permission="document.write")
@blp.arguments(NewDocumentUploadSchema, location="multipart")
@blp.response(201, DocumentWithRevisionsSchema)
def create_document(form):
    """Upload a new document with its first revision (multipart)."""
    upload = form["file"]
    revision = services.create_document(
        dbs(),
        storage.get_store(),
        _tenant_id(),
        kind=form["kind"],
        title=form["title"],
        number=form.get("number"),
        note=form.get("note"),
        stream=upload.stream,
        filename=upload.filename,
        max_bytes=_max_bytes(),
    )
    return _with_revisions(revision.document_id)


@blp.get("/documents/<uuid:document_id>")
@token_required(kind="client")
@blp.response(200, DocumentWithRevisionsSchema)
def get_document(document_id: uuid.UUID):
    """One document with all its revisions, oldest first."""
    return _with_revisions(document_id)


@blp.get("/documents/<uuid:document_id>/revisions")
@token_required(kind="client")
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, RevisionPageSchema)
def list_revisions(args, document_id: uuid.UUID):
    """A document's revisions, newest first, 50 a page."""
    return page_of(services.revisions_of(dbs(), _tenant_id(), document_id), args["page"])


@blp.post("/documents/<uuid:document_id>/revisions")
@token_required(kind="client", permission="document.write")
@blp.arguments(RevisionUploadSchema, location="multipart")
@blp.response(201, RevisionSchema)
def add_revision(form, document_id: uuid.UUID):
    """Upload the next revision of a document (multipart)."""
    upload = form["file"]
    return services.add_revision(
        dbs(),
        storage.get_store(),
        _tenant_id(),
        document_id,
        stream=upload.stream,
        filename=upload.filename,
        note=form.get("note"),
        max_bytes=_max_bytes(),
    )


@blp.get("/documents/<uuid:document_id>/revisions/<uuid:revision_id>/download-url")
@token_required(kind="client")
@blp.response(200, DownloadUrlSchema)
def download_url(document_id: uuid.UUID, revision_id: uuid.UUID):
    """A short-lived URL to a revision's bytes."""
    revision = services.get_revision(dbs(), _tenant_id(), revision_id, document_id)
    url = revision_url(revision)
    if url is None:
        return {
            "url": url_for(
                ".revision_content",
                document_id=document_id,
                revision_id=revision_id,
                _external=True,
            ),
            "expires_in": None,
        }
    return {"url": url, "expires_in": int(storage.download_expiry().total_seconds())}


@blp.get("/documents/<uuid:document_id>/revisions/<uuid:revision_id>/content")
@token_required(kind="client")
@blp.response(200, description="The file (local store) or a redirect to it (S3)")
def revision_content(document_id: uuid.UUID, revision_id: uuid.UUID):
    """A revision's bytes (local store) or a redirect to them (S3)."""
    revision = services.get_revision(dbs(), _tenant_id(), revision_id, document_id)
    return revision_response(revision)
