"""Dossier sections for the order's later records: shipment notices with their
packing slips, change orders with their reasons, diffs and decisions, and order
issues with their threads and attachments. Each is a ``(session, dossier) ->
None`` listed in ``dossier_sections.SECTIONS``; change orders and issues are
audited under their own entity, so each is watched for the audit section."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.procurement.orders.change_models import POChangeApproval, POChangeOrder
from baton.procurement.orders.dossier_files import (
    Dossier,
    as_csv,
    as_json,
    revisions_of,
    safe_name,
)
from baton.procurement.orders.issue_models import POIssue, POIssueMessage
from baton.procurement.orders.shipment_models import POShipment

SHIPMENT_FIELDS = ("id", "revision", "source", "carrier", "tracking_number", "shipped_on",
                   "expected_on", "note", "lines", "created_at", "entered_by_id")  # fmt: skip


def shipment_notices(session: Session, dossier: Dossier) -> None:
    po = dossier.po
    rows = list(
        session.scalars(
            sa.select(POShipment)
            .where(POShipment.tenant_id == po.tenant_id, POShipment.po_id == po.id)
            .order_by(POShipment.created_at)
        )
    )
    dossier.add(
        "shipments/shipment-notices.json",
        as_json([{name: getattr(r, name) for name in SHIPMENT_FIELDS} for r in rows]),
    )
    dossier.add(
        "shipments/shipment-notices.csv",
        as_csv(
            [*SHIPMENT_FIELDS[:-3], "quantities"],
            [
                [_text(getattr(r, name)) for name in SHIPMENT_FIELDS[:-3]]
                + ["; ".join(f"line {q['line_no']}: {q['quantity']}" for q in r.lines or [])]
                for r in rows
            ],
        ),
    )
    slips = revisions_of(session, po.tenant_id, {r.packing_slip_revision_id for r in rows})
    for r in rows:
        found = slips.get(r.packing_slip_revision_id)
        if found is not None:
            dossier.add_stored(f"shipments/{safe_name(found[0].filename)}", found[0])


def _text(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


CHANGE_FIELDS = ("id", "number", "base_revision", "status", "cause", "reason", "diff",
                 "total_before", "total_after", "material_reasons", "exceptions",
                 "created_by_id", "submitted_at", "approved_at", "released_at",
                 "withdrawn_at")  # fmt: skip


def change_orders(session: Session, dossier: Dossier) -> None:
    po = dossier.po
    changes = list(
        session.scalars(
            sa.select(POChangeOrder)
            .where(POChangeOrder.tenant_id == po.tenant_id, POChangeOrder.po_id == po.id)
            .order_by(POChangeOrder.number)
        )
    )
    decisions = list(
        session.scalars(
            sa.select(POChangeApproval)
            .where(POChangeApproval.tenant_id == po.tenant_id, POChangeApproval.po_id == po.id)
            .order_by(POChangeApproval.created_at)
        )
    )
    for change in changes:
        dossier.watch("change_order", change.id)
    dossier.add(
        "change-orders/change-orders.json",
        as_json(
            [
                {name: getattr(c, name) for name in CHANGE_FIELDS}
                | {
                    "decisions": [
                        {
                            "round": d.round,
                            "approver_id": d.approver_id,
                            "decision": d.decision,
                            "comment": d.comment,
                            "at": d.created_at,
                        }
                        for d in decisions
                        if d.change_id == c.id
                    ]  # fmt: skip
                }
                for c in changes
            ]
        ),
    )


def order_issues(session: Session, dossier: Dossier) -> None:
    po = dossier.po
    issues = list(
        session.scalars(
            sa.select(POIssue)
            .where(POIssue.tenant_id == po.tenant_id, POIssue.po_id == po.id)
            .order_by(POIssue.number)
        )
    )
    messages = (
        list(
            session.scalars(
                sa.select(POIssueMessage)
                .where(
                    POIssueMessage.tenant_id == po.tenant_id,
                    POIssueMessage.issue_id.in_([i.id for i in issues]),
                )
                .order_by(POIssueMessage.created_at)
            )
        )
        if issues
        else []
    )
    for issue in issues:
        dossier.watch("order_issue", issue.id)
    dossier.add(
        "issues/issues.json",
        as_json(
            [
                {
                    "number": i.number,
                    "line_no": i.line_no,
                    "cause": i.cause,
                    "title": i.title,
                    "status": i.status,
                    "routed_to": i.routed_to,
                    "resolution_note": i.resolution_note,
                    "resolved_at": i.resolved_at,
                    "created_at": i.created_at,
                    "thread": [
                        {
                            "author": m.author_label,
                            "author_kind": m.author_kind,
                            "body": m.body,
                            "at": m.created_at,
                            "attachment_id": m.document_revision_id,
                        }
                        for m in messages
                        if m.issue_id == i.id
                    ],
                }  # fmt: skip
                for i in issues
            ]
        ),
    )
    attached = revisions_of(session, po.tenant_id, {m.document_revision_id for m in messages})
    for m in messages:
        found = attached.get(m.document_revision_id)
        if found is not None:
            dossier.add_stored(f"issues/{safe_name(found[0].filename)}", found[0])
