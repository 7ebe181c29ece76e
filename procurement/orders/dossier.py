"""An order's compliance dossier: one zip with everything that proves what was
ordered, from whom, on which handoff, and what happened to it.

The zip is built from a list of sections, ``SECTIONS``; each is a function
``(session, dossier) -> None`` that reads its rows and adds files (or notes a
file as missing, with why). After them the audit section always runs, then
``manifest.json`` lists every file with its SHA-256:

* ``order.json`` — the order as the API gives it;
* ``revisions/`` — every revision's stored PDF;
* ``handoff/`` — the snapshot(s) the lines came from, canonical JSON as stored,
  with their SHA-256 checked;
* ``specifications/`` — the specification revisions the lines are bought to;
* ``acknowledgements/`` — JSON, a CSV and the attached documents;
* ``receipts/`` — JSON, a CSV and any attached documents;
* ``audit/`` — the events of the order and its children as JSON lines in
  chain order with their hashes, the same in words, and ``VERIFICATION.txt``;
* ``manifest.json``.

Adding a part is one line: write ``def shipment_notices(session, dossier)``
(it may call ``dossier.watch(entity_type, id)`` so the audit section takes
that child's events too) and append it to ``SECTIONS``. The sections still to
come from issue 9 are shipment notices, change-order revisions (their PDFs
already come through ``revisions``; the diffs and reasons would be a
section) and order issues.

Reading the dossier changes nothing: a PDF that is not stored yet (released
moments ago, its job still running; or never released) is listed under
``missing`` in the manifest, never rendered and stored by a GET. The zip is
written into a spooled temporary file (memory up to ``SPOOL_BYTES``, disk
beyond), and the documents it holds are capped at ``MAX_BYTES``, checked from
their recorded sizes before any is read.
"""

from __future__ import annotations

import json
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import IO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.audit import AuditEvent, canonical
from baton.platform.db import utcnow
from baton.procurement.orders import dossier_chain
from baton.procurement.orders.dossier_files import (
    MAX_BYTES,
    SPOOL_BYTES,
    Dossier,
    DossierTooLarge,
    Section,
    as_json,
)
from baton.procurement.orders.dossier_sections import SECTIONS
from baton.procurement.orders.models import PurchaseOrder
from baton.tenants.models import Organisation

__all__ = ["MAX_BYTES", "SECTIONS", "BuiltDossier", "DossierTooLarge", "as_response", "build"]


def _audit(session: Session, dossier: Dossier) -> None:
    from baton.platform.audit_text import describe

    po = dossier.po
    wanted = sa.or_(
        *(
            sa.and_(AuditEvent.entity_type == kind, AuditEvent.entity_id == ident)
            for kind, ident in sorted(dossier.watched)
        )
    )
    events = list(
        session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.tenant_id == po.tenant_id, wanted)
            .order_by(AuditEvent.seq)
        )
    )
    lines = [
        json.dumps(
            json.loads(canonical(e)) | {"prev_hash": e.prev_hash, "hash": e.hash},
            sort_keys=True,
            ensure_ascii=False,
        )
        for e in events
    ]
    dossier.add("audit/events.jsonl", "".join(line + "\n" for line in lines), "in chain order")
    words = describe(session, events, dossier.timezone, dossier.locale)
    dossier.add(
        "audit/timeline.txt",
        "".join(
            f"#{t.event.seq} {t.event.created_at.isoformat()} {t.actor}: {t.action}"
            + "".join(f"; {c.label}: {c.before} → {c.after}" for c in t.changes)
            + "\n"
            for t in words
        ),
        f"the events in words, times in {dossier.timezone or 'UTC'}",
    )
    names = dict(
        session.execute(
            sa.select(Organisation.id, Organisation.name).where(
                Organisation.id.in_({po.tenant_id, dossier.reader_org_id})
            )
        ).all()
    )
    dossier.chain = dossier_chain.verify_for_reader(session, dossier.reader_org_id, po.tenant_id)
    dossier.add(
        "audit/VERIFICATION.txt",
        dossier_chain.verification_text(
            dossier.chain,
            client=names.get(po.tenant_id, "the client"),
            reader=names.get(dossier.reader_org_id, "the reader"),
            order=po.number,
        ),
    )


def _manifest(dossier: Dossier, generated_at: datetime) -> None:
    po = dossier.po
    body = {
        "order": po.number,
        "order_id": str(po.id),
        "revision": po.revision,
        "status": po.status,
        "client_id": str(po.tenant_id),
        "provider_id": str(po.provider_id),
        "exported_by_organisation_id": str(dossier.reader_org_id),
        "generated_at": generated_at.isoformat(),
        "files": dossier.files,
        "missing": dossier.missing,
        "audit_chain": dossier.chain.as_dict() if dossier.chain else None,
    }
    info = zipfile.ZipInfo("manifest.json", date_time=generated_at.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    dossier.zip.writestr(info, as_json(body))


@dataclass(frozen=True)
class BuiltDossier:
    stream: IO[bytes]
    filename: str
    size: int
    verified: bool


def build(
    session: Session,
    po: PurchaseOrder,
    reader_org_id: uuid.UUID,
    *,
    timezone: str | None = None,
    locale: str | None = None,
    max_bytes: int = MAX_BYTES,
    sections: list[Section] | None = None,
) -> BuiltDossier:
    """The dossier of ``po`` (already read within the reader's scope) as a zip."""
    # Not a with-block: the open file goes out as the response body, which closes it.
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    generated_at = utcnow()
    dossier = Dossier(po, reader_org_id, timezone, locale, out, max_bytes=max_bytes)
    try:
        for section in sections if sections is not None else SECTIONS:
            section(session, dossier)
        _audit(session, dossier)
        _manifest(dossier, generated_at)
        dossier.zip.close()
    except BaseException:
        dossier.zip.close()
        out.close()
        raise
    size = out.tell()
    out.seek(0)
    stamp = generated_at.strftime("%Y%m%d-%H%M%S")
    return BuiltDossier(
        out,
        f"{po.number}-dossier-{stamp}.zip",
        size,
        bool(dossier.chain and dossier.chain.verified),
    )


def as_response(built: BuiltDossier):
    """The zip as a download no cache keeps."""
    from flask import send_file

    response = send_file(
        built.stream,
        mimetype="application/zip",
        as_attachment=True,
        download_name=built.filename,
        max_age=0,
        conditional=False,
        etag=False,
    )
    response.headers["Content-Length"] = str(built.size)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Audit-Chain"] = "verified" if built.verified else "broken"
    return response
