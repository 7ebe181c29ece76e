"""API representations of documents and revisions, and the upload form."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from baton.platform.api import PageQuerySchema, page_schema
from baton.sourcing.documents.services import CLIENT_KINDS


class RevisionSchema(Schema):
    id = fields.UUID()
    document_id = fields.UUID()
    revision_no = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    note = fields.String(allow_none=True)
    uploaded_by_id = fields.UUID(allow_none=True)
    created_at = fields.DateTime()


class DocumentSchema(Schema):
    id = fields.UUID()
    kind = fields.String()
    title = fields.String()
    number = fields.String()
    latest_revision_no = fields.Integer()
    created_at = fields.DateTime()


class DocumentWithRevisionsSchema(DocumentSchema):
    revisions = fields.List(fields.Nested(RevisionSchema), metadata={"description": "Oldest first"})


class NewDocumentFormSchema(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(CLIENT_KINDS, error="Must be one of: {choices}."),
        metadata={"description": f"one of {', '.join(CLIENT_KINDS)}"},
    )
    title = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "what the document is, as people will look for it"},
    )
    number = fields.String(
        validate=validate.Length(max=64),
        metadata={"description": "Your document number; numbered DOC-00001… when left out"},
    )
    note = fields.String(
        validate=validate.Length(max=2000), metadata={"description": "what changed, and why"}
    )


class RevisionFormSchema(Schema):
    note = fields.String(
        validate=validate.Length(max=2000), metadata={"description": "what changed, and why"}
    )


class FileSchema(Schema):
    file = Upload(required=True, metadata={"description": "The file (multipart/form-data)"})


class NewDocumentUploadSchema(NewDocumentFormSchema, FileSchema):
    """The fields and the file of ``POST /documents``, one multipart body."""


class RevisionUploadSchema(RevisionFormSchema, FileSchema):
    """The note and the file of ``POST /documents/<id>/revisions``."""


class DocumentQuerySchema(PageQuerySchema):
    kind = fields.String(
        validate=validate.OneOf(CLIENT_KINDS),
        metadata={"description": f"one of {', '.join(CLIENT_KINDS)}"},
    )
    q = fields.String(metadata={"description": "part of the title or number"})


class DownloadUrlSchema(Schema):
    url = fields.String()
    expires_in = fields.Integer(
        allow_none=True, metadata={"description": "Seconds the URL stays valid"}
    )


DocumentPageSchema = page_schema(DocumentSchema, "DocumentPage")
RevisionPageSchema = page_schema(RevisionSchema, "RevisionPage")
