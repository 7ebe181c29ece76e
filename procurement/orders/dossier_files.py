"""The dossier's zip as it is written: files with their SHA-256, documents read
from the store within a size cap, and the files that could not be added."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from baton.platform import storage
from baton.platform.db import utcnow
from baton.platform.errors import ServiceError
from baton.procurement.orders import dossier_chain
from baton.procurement.orders.models import PurchaseOrder
from baton.sourcing.documents.models import Document, DocumentRevision

MAX_BYTES = 200 * 1024 * 1024
SPOOL_BYTES = 16 * 1024 * 1024
CHUNK = 1024 * 1024


class DossierTooLarge(ServiceError):
    status = 413


@dataclass
class Dossier:
    """The zip being written, and what the manifest will say about it."""

    po: PurchaseOrder
    reader_org_id: uuid.UUID
    timezone: str | None
    locale: str | None
    out: IO[bytes]
    max_bytes: int = MAX_BYTES
    files: list[dict] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)
    # (entity_type, entity_id) whose audit events belong in the dossier.
    watched: set[tuple[str, str]] = field(default_factory=set)
    stored_bytes: int = 0
    chain: dossier_chain.ChainReport | None = None
    zip: zipfile.ZipFile = field(init=False)
    _names: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.zip = zipfile.ZipFile(self.out, "w", compression=zipfile.ZIP_DEFLATED)
        self.watch("purchase_order", self.po.id)

    def watch(self, entity_type: str, entity_id: uuid.UUID | str) -> None:
        self.watched.add((entity_type, str(entity_id)))

    def _entry(self, path: str) -> zipfile.ZipInfo:
        path = _unique(path, self._names)
        self._names.add(path)
        info = zipfile.ZipInfo(path, date_time=utcnow().timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        return info

    def add(self, path: str, content: bytes | str, note: str | None = None, **extra: Any) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        info = self._entry(path)
        self.zip.writestr(info, data)
        self._listed(info.filename, hashlib.sha256(data).hexdigest(), len(data), note, extra)

    def add_stored(self, path: str, revision: DocumentRevision, note: str | None = None) -> None:
        """A stored document's bytes, checked against the SHA-256 recorded at upload."""
        self.stored_bytes += revision.size
        if self.stored_bytes > self.max_bytes:
            raise DossierTooLarge(
                f"The dossier of {self.po.number} would hold more than"
                f" {self.max_bytes // (1024 * 1024)} MB of documents; download the large"
                " documents one by one from the order page instead."
            )
        try:
            source = storage.get_store(current_app).open(
                revision.storage_key, revision.storage_version
            )
        except Exception:  # noqa: BLE001 - any store's "not there": say so, keep the rest
            self.lack(path, "the stored file could not be read from the document store")
            return
        info = self._entry(path)
        digest_ = hashlib.sha256()
        size = 0
        with source, self.zip.open(info, "w") as target:
            while chunk := source.read(CHUNK):
                digest_.update(chunk)
                size += len(chunk)
                target.write(chunk)
        sha = digest_.hexdigest()
        self._listed(
            info.filename,
            sha,
            size,
            note,
            {"recorded_sha256": revision.sha256, "matches_record": sha == revision.sha256},
        )

    def lack(self, path: str, reason: str) -> None:
        self.missing.append({"path": path, "reason": reason})

    def _listed(self, path: str, sha: str, size: int, note: str | None, extra: dict) -> None:
        entry = {"path": path, "sha256": sha, "size": size}
        if note:
            entry["note"] = note
        self.files.append(entry | extra)


Section = Callable[[Session, Dossier], None]


def _unique(path: str, taken: set[str]) -> str:
    if path not in taken:
        return path
    stem, dot, ext = path.rpartition(".")
    if not dot or "/" in ext:
        stem, ext = path, ""
    n = 2
    while (candidate := f"{stem}-{n}{'.' + ext if ext else ''}") in taken:
        n += 1
    return candidate


def safe_name(name: str) -> str:
    """An uploaded file's name as a zip entry: no folders, no odd characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[^A-Za-z0-9._ -]+", "_", name).strip(" .")
    return name[:120] or "file"


def as_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=_jsonable) + "\n"


def _jsonable(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def as_csv(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def revisions_of(session: Session, tenant_id: uuid.UUID, ids: set) -> dict:
    ids = {uuid.UUID(str(i)) for i in ids if i}
    if not ids:
        return {}
    rows = session.execute(
        sa.select(DocumentRevision, Document)
        .join(
            Document,
            sa.and_(
                Document.id == DocumentRevision.document_id,
                Document.tenant_id == DocumentRevision.tenant_id,
            ),
        )
        .where(DocumentRevision.tenant_id == tenant_id, DocumentRevision.id.in_(ids))
    )
    return {rev.id: (rev, doc) for rev, doc in rows}
