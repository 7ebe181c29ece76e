"""The document store: one small interface, two backends (docs/storage.md).

Keys are made here from ids only (``tenants/<tenant>/documents/<document>/<revision>``),
never from anything a user typed, so an uploaded name cannot steer where bytes
land. ``put`` is always called before the database rows are written; if the
transaction later rolls back, the object written under that fresh key is deleted
again (see ``forget_on_rollback``), so a failed upload leaves neither a row nor
an orphaned object.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import BinaryIO, Protocol
from urllib.parse import quote

import structlog
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from baton.platform.errors import ServiceError

log = structlog.get_logger("baton.storage")


class StoreUnavailable(ServiceError):
    """The store refused or could not be reached; nothing was saved."""

    status = 503


class StoredObjectMissing(ServiceError):
    status = 404


class DocumentStore(Protocol):
    name: str

    def put(self, key: str, stream: BinaryIO, content_type: str, sha256: str) -> str | None:
        """Store the bytes under ``key``; return the backend's version id (or None)."""

    def open(self, key: str, version: str | None = None) -> BinaryIO:
        """A readable binary stream of the stored bytes."""

    def download_url(
        self,
        key: str,
        filename: str,
        expires: timedelta,
        version: str | None = None,
        content_type: str | None = None,
    ) -> str | None:
        """A short-lived URL to the bytes, or None when the app must serve them itself."""

    def delete(self, key: str, version: str | None = None) -> None:
        """Remove one stored version; only for cleaning up after a failed transaction."""


def document_key(tenant_id: uuid.UUID, document_id: uuid.UUID, revision_id: uuid.UUID) -> str:
    return f"tenants/{tenant_id}/documents/{document_id}/{revision_id}"


def content_disposition(filename: str) -> str:
    """RFC 6266 attachment header with an ASCII fallback and the exact UTF-8 name."""
    fallback = filename.encode("ascii", "replace").decode("ascii").replace('"', "'")
    fallback = fallback.replace("?", "_").replace("\\", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def build_store(settings) -> DocumentStore:
    if settings.storage_backend == "s3":
        from baton.platform.storage_s3 import S3Store

        if not settings.s3_bucket:
            raise StoreUnavailable("The S3 document store needs BATON_S3_BUCKET.")
        return S3Store(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            kms_key_id=settings.s3_kms_key_id,
        )
    from baton.platform.storage_local import LocalStore

    return LocalStore(settings.documents_path or settings.instance_path / "documents")


def get_store(app: Flask | None = None) -> DocumentStore:
    """The app's store, built on first use (no I/O in the app factory)."""
    app = app or current_app._get_current_object()
    store = app.extensions.get("baton.storage")
    if store is None:
        store = build_store(app.config["BATON_SETTINGS"])
        app.extensions["baton.storage"] = store
    return store


def download_expiry(app: Flask | None = None) -> timedelta:
    app = app or current_app._get_current_object()
    return timedelta(seconds=app.config["BATON_SETTINGS"].download_url_seconds)


_PENDING = "baton.storage.pending"


def forget_on_rollback(
    session: Session, store: DocumentStore, key: str, version: str | None
) -> None:
    """Delete the object again if the transaction that should reference it rolls back."""
    pending = session.info.setdefault(_PENDING, [])
    pending.append((store, key, version))
    if not event.contains(session, "after_rollback", _delete_pending):
        event.listen(session, "after_rollback", _delete_pending)
        event.listen(session, "after_commit", _keep_pending)


def delete_quietly(store: DocumentStore, key: str, version: str | None) -> None:
    try:
        store.delete(key, version)
    except Exception as exc:  # best effort: the orphan has no row, so nobody can reach it
        log.warning("orphan_delete_failed", key=key, error=str(exc))


def _delete_pending(session: Session) -> None:
    for store, key, version in session.info.pop(_PENDING, []):
        delete_quietly(store, key, version)


def _keep_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
