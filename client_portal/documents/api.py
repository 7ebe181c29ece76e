"""Documents for integrations: upload revisions (multipart), list them, download.

A download URL is issued only after the token's organisation is checked
against the document: a presigned S3 URL valid for a couple of minutes, or,
with the local store, this API's own content endpoint (token required).
"""

from __future__ import annotations

import uuid

from flask import current_app, url_for

from baton.platform import storage
from baton.platform.api import ApiBlueprint, token_required
from baton.platform.auth import identity
from baton.platform.web import dbs
from baton.sourcing.documents import services
from baton.sourcing.documents.downloads import revision_response, revision_url
from baton.sourcing.documents.schemas import (
    DocumentQuerySchema,
    DocumentSchema,
    DocumentWithRevisionsSchema,
    DownloadUrlSchema,
    NewDocumentUploadSchema,
    RevisionSchema,
    RevisionUploadSchema,
)

blp = ApiBlueprint("api_documents", __name__, description="The client's documents and revisions")


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
@blp.response(200, DocumentSchema(many=True))
def list_documents(args):
    return services.list_documents(dbs(), _tenant_id(), kind=args.get("kind"), q=args.get("q"))


@blp.post("/documents")
@token_required(kind="client", permission="document.write")
@blp.arguments(NewDocumentUploadSchema, location="multipart")
@blp.response(201, DocumentWithRevisionsSchema)
def create_document(form):
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
    return _with_revisions(document_id)


@blp.get("/documents/<uuid:document_id>/revisions")
@token_required(kind="client")
@blp.response(200, RevisionSchema(many=True))
def list_revisions(document_id: uuid.UUID):
    return services.revisions_of(dbs(), _tenant_id(), document_id)


@blp.post("/documents/<uuid:document_id>/revisions")
@token_required(kind="client", permission="document.write")
@blp.arguments(RevisionUploadSchema, location="multipart")
@blp.response(201, RevisionSchema)
def add_revision(form, document_id: uuid.UUID):
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
    revision = services.get_revision(dbs(), _tenant_id(), revision_id, document_id)
    return revision_response(revision)
