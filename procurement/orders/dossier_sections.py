"""The parts of an order's dossier, one function each, in ``SECTIONS``.

A section is ``(session, dossier) -> None``: it reads its rows and adds files
(``dossier.add``, ``dossier.add_stored``) or says why one is missing
(``dossier.lack``); ``dossier.watch(entity_type, id)`` brings a child's audit
events into the dossier's trail. The later records (shipment notices, change
orders, order issues) are in ``dossier_records``.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.procurement.orders import revisions as po_revisions
from baton.procurement.orders.dossier_files import (
    Dossier,
    Section,
    as_csv,
    as_json,
    revisions_of,
    safe_name,
)
from baton.procurement.orders.dossier_records import change_orders, order_issues, shipment_notices
from baton.procurement.orders.models import POAcknowledgement, POReceipt
from baton.procurement.orders.presenters import represent
from baton.procurement.orders.states import PURCHASE_ORDER
from baton.sourcing.documents.models import Document, DocumentRevision
from baton.sourcing.requirements.models import HandoffSnapshot
from baton.sourcing.requirements.snapshot import canonical_json, digest


def order(session: Session, dossier: Dossier) -> None:
    dossier.add("order.json", as_json(represent(session, dossier.po)), "the order as it stands now")


def revisions(session: Session, dossier: Dossier) -> None:
    """Every revision's PDF as stored at its release (``release.stored_pdf``)."""
    po = dossier.po
    document = session.scalar(
        sa.select(Document).where(Document.tenant_id == po.tenant_id, Document.number == po.number)
    )
    stored = {}
    if document is not None:
        dossier.watch("document", document.id)
        stored = {
            r.revision_no: r
            for r in session.scalars(
                sa.select(DocumentRevision).where(
                    DocumentRevision.tenant_id == po.tenant_id,
                    DocumentRevision.document_id == document.id,
                )
            )
        }
    frozen = {r.revision: r for r in po_revisions.revisions_of(session, po)}
    by_id = {r.id: r for r in stored.values()}
    released = po.released_at is not None or PURCHASE_ORDER.in_group("released", po.status)
    # The revisions there are (released ones, stored PDFs, the current one), not
    # range(po.revision): a number says nothing about how many came before it.
    numbers = sorted(set(frozen) | {n - 1 for n in stored} | {po.revision})
    for revision in numbers:
        path = f"revisions/{po.number}-rev{revision}.pdf"
        row = frozen.get(revision)
        found = (by_id.get(row.pdf_revision_id) if row else None) or stored.get(revision + 1)
        if found is not None:
            dossier.add_stored(path, found, f"revision {revision} as sent to the supplier")
        elif row is not None or revision < po.revision or released:
            dossier.lack(path, "released, but the stored PDF is still being made; export again")
        else:
            dossier.lack(path, f"not released yet ({PURCHASE_ORDER.label(po.status)}): no PDF")


def handoff(session: Session, dossier: Dossier) -> None:
    po = dossier.po
    ids = {line.snapshot_id for line in po.lines}
    for snap in session.scalars(
        sa.select(HandoffSnapshot)
        .where(HandoffSnapshot.tenant_id == po.tenant_id, HandoffSnapshot.id.in_(ids))
        .order_by(HandoffSnapshot.created_at)
    ):
        ref = safe_name(snap.payload.get("requirement", {}).get("client_reference") or "handoff")
        name = f"handoff/{ref}-v{snap.version}.json"
        recomputed = digest(snap.payload)
        dossier.add(
            name,
            canonical_json(snap.payload),
            "the handoff snapshot, canonical JSON",
            stored_sha256=snap.sha256,
            matches_stored=recomputed == snap.sha256,
        )
        dossier.add(f"{name}.sha256", f"{snap.sha256}  {name.rsplit('/', 1)[-1]}\n")


def specifications(session: Session, dossier: Dossier) -> None:
    po = dossier.po
    wanted = {s.get("revision_id") for line in po.lines for s in line.specs or []}
    found = revisions_of(session, po.tenant_id, wanted)
    seen: set[str] = set()
    for line in po.lines:
        for spec in line.specs or []:
            rev_id = str(spec.get("revision_id") or "")
            if rev_id in seen:
                continue
            seen.add(rev_id)
            label = safe_name(f"{spec.get('document_number')}-rev{spec.get('revision_no')}")
            row = found.get(uuid.UUID(rev_id)) if rev_id else None
            if row is None:
                dossier.lack(f"specifications/{label}", "the revision is no longer readable")
                continue
            rev, _doc = row
            dossier.add_stored(
                f"specifications/{label}-{safe_name(rev.filename)}",
                rev,
                f"bought to on line {line.line_no}",
            )


def acknowledgements(session: Session, dossier: Dossier) -> None:
    po = dossier.po
    acks = list(
        session.scalars(
            sa.select(POAcknowledgement)
            .where(POAcknowledgement.tenant_id == po.tenant_id, POAcknowledgement.po_id == po.id)
            .order_by(POAcknowledgement.revision, POAcknowledgement.created_at)
        )
    )
    dossier.add(
        "acknowledgements/acknowledgements.json",
        as_json(
            [
                {
                    "id": a.id,
                    "revision": a.revision,
                    "source": a.source,
                    "received_at": a.created_at,
                    "entered_by_id": a.entered_by_id,
                    "note": a.note,
                    "changes_status": a.changes_status,
                    "lines": a.lines,
                    "document_revision_id": a.document_revision_id,
                }
                for a in acks
            ]
        ),
    )
    dossier.add(
        "acknowledgements/acknowledgements.csv",
        as_csv(
            [
                "revision",
                "source",
                "received_at",
                "line",
                "outcome",
                "promised_date",
                "quantity",
                "unit_price",
                "note",
            ],  # fmt: skip
            [
                [
                    a.revision,
                    a.source,
                    a.created_at.isoformat(),
                    e.get("line_no"),
                    e.get("outcome"),
                    e.get("promised_date"),
                    e.get("quantity"),
                    e.get("unit_price"),
                    e.get("note"),
                ]  # fmt: skip
                for a in acks
                for e in a.lines
            ],
        ),
    )
    attached = revisions_of(session, po.tenant_id, {a.document_revision_id for a in acks})
    for a in acks:
        if a.document_revision_id in attached:
            rev, _doc = attached[a.document_revision_id]
            dossier.add_stored(
                f"acknowledgements/rev{a.revision}-{safe_name(rev.filename)}",
                rev,
                f"attached to the acknowledgement of revision {a.revision}",
            )


def receipts(session: Session, dossier: Dossier) -> None:
    po = dossier.po
    rows = list(
        session.scalars(
            sa.select(POReceipt)
            .where(POReceipt.tenant_id == po.tenant_id, POReceipt.po_id == po.id)
            .order_by(POReceipt.created_at, POReceipt.line_no)
        )
    )
    fields_ = ("id", "line_no", "quantity_received", "quantity_rejected", "reject_reason",
               "reference", "received_on", "shipment_id", "created_at", "created_by_id")  # fmt: skip
    dossier.add(
        "receipts/receipts.json",
        as_json([{name: getattr(r, name) for name in fields_} for r in rows]),
    )
    dossier.add(
        "receipts/receipts.csv",
        as_csv(list(fields_), [[_cell(getattr(r, name)) for name in fields_] for r in rows]),
    )
    # One receipt's packing slip is on each of its line rows: stored once.
    attached = revisions_of(session, po.tenant_id, {r.packing_slip_revision_id for r in rows})
    for revision_id in dict.fromkeys(r.packing_slip_revision_id for r in rows):
        found = attached.get(revision_id)
        if found is not None:
            dossier.add_stored(f"receipts/{safe_name(found[0].filename)}", found[0])


def _cell(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "normalize"):
        return format(value.normalize(), "f")
    return value


SECTIONS: list[Section] = [
    order,
    revisions,
    handoff,
    specifications,
    acknowledgements,
    receipts,
    shipment_notices,
    change_orders,
    order_issues,
]
