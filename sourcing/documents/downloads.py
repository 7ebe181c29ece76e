"""Handing out a revision's bytes, after the caller has authorised the request.

Any audience's view (client portal, provider console, API) looks the revision
up through its own tenant-scoped service call first and only then calls
``revision_response``: S3 answers with a redirect to a presigned URL valid for
a couple of minutes; the local store streams the file from the app.
"""

from __future__ import annotations

from flask import Response, redirect, send_file

from baton.platform import storage
from baton.sourcing.documents.models import DocumentRevision


def revision_url(revision: DocumentRevision) -> str | None:
    """A short-lived direct URL, or None when the app must serve the bytes itself."""
    return storage.get_store().download_url(
        revision.storage_key,
        revision.filename,
        storage.download_expiry(),
        version=revision.storage_version,
        content_type=revision.content_type,
    )


def revision_response(revision: DocumentRevision) -> Response:
    url = revision_url(revision)
    if url is not None:
        response = redirect(url, 302)
    else:
        stream = storage.get_store().open(revision.storage_key, revision.storage_version)
        response = send_file(
            stream,
            mimetype=revision.content_type,
            as_attachment=True,
            download_name=revision.filename,
            max_age=0,
            conditional=False,
            etag=False,
        )
        response.headers["Content-Length"] = str(revision.size)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; sandbox; frame-ancestors 'none'"
        )
    response.headers["Cache-Control"] = "private, no-store"
    return response
