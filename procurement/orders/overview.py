"""What an order's page shows, gathered once for the buyer's and the client's pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from baton.platform import audit
from baton.procurement.orders import approvals as approval_rules
from baton.procurement.orders.acknowledgements import OUTCOME_LABELS
from baton.procurement.orders.drafting import line_total
from baton.procurement.orders.drift import FIELD_LABELS
from baton.procurement.orders.issue_overview import for_order as issues_for_order
from baton.procurement.orders.models import PurchaseOrder
from baton.procurement.orders.policy import policy_for
from baton.procurement.orders.queries import (
    acknowledgement_of,
    approvals_of,
    exceptions_of,
    receipts_of,
)
from baton.procurement.orders.shipments import page_context as shipment_context
from baton.procurement.orders.states import PURCHASE_ORDER
from baton.sourcing.documents.models import DocumentRevision
from baton.sourcing.requirements.models import Requirement
from baton.sourcing.suppliers.models import Supplier
from baton.tenants.models import Organisation
from baton.tenants.services import user_names


def detail(session: Session, po: PurchaseOrder) -> dict[str, Any]:
    approvals = approvals_of(session, po)
    ack = acknowledgement_of(session, po)
    receipts = receipts_of(session, po)
    exceptions = exceptions_of(session, po)
    requirement_ids = {line.requirement_id for line in po.lines}
    requirements = {
        r.id: r
        for r in session.query(Requirement).filter(
            Requirement.tenant_id == po.tenant_id, Requirement.id.in_(requirement_ids)
        )
    }
    people = user_names(
        session,
        {po.buyer_id, po.created_by_id}
        | {a.approver_id for a in approvals}
        | {e.decided_by_id for e in exceptions}
        | {r.created_by_id for r in receipts},
    )
    this_round = [
        a for a in approvals if a.revision == po.revision and a.round == po.approval_round
    ]
    events = audit.events_for(session, po.tenant_id, "purchase_order", po.id)
    return {
        "po": po,
        "client": session.get(Organisation, po.tenant_id),
        "provider": session.get(Organisation, po.provider_id),
        "supplier": session.get(Supplier, po.supplier_id),
        "line_totals": {line.line_no: line_total(line) for line in po.lines},
        "drift": approval_rules.current_drift(session, po)
        if PURCHASE_ORDER.in_group("editable", po.status)
        else [],
        "exceptions": exceptions,
        "field_labels": FIELD_LABELS,
        "approvals": approvals,
        "approved_count": sum(1 for a in this_round if a.decision == "approved"),
        "split": approval_rules.split_warning(session, po),
        "policy": policy_for(session, po.tenant_id, po.currency),
        "ack": ack,
        "outcome_labels": OUTCOME_LABELS,
        "receipts": receipts,
        "requirements": requirements,
        "people": people,
        "pdf": session.get(DocumentRevision, po.pdf_revision_id) if po.pdf_revision_id else None,
        "labels": PURCHASE_ORDER.labels,
        **shipment_context(session, po, receipts, ack),
        # The order's issues, and their events on its timeline (``events``).
        **issues_for_order(session, po, events),
    }


def organisation_names(session: Session, ids: set) -> dict:
    if not ids:
        return {}
    return {o.id: o.name for o in session.query(Organisation).filter(Organisation.id.in_(ids))}


def detail_pdf(session: Session, po: PurchaseOrder) -> DocumentRevision | None:
    """The stored PDF of the order's current revision (none before release)."""
    if po.pdf_revision_id is None:
        return None
    return session.get(DocumentRevision, po.pdf_revision_id)


def snapshots_for(session: Session, po: PurchaseOrder) -> dict:
    """The handoff snapshots the order's lines came from, by id, for side-by-side views."""
    from baton.sourcing.requirements.models import HandoffSnapshot

    ids = {line.snapshot_id for line in po.lines}
    return {
        s.id: s
        for s in session.query(HandoffSnapshot).filter(
            HandoffSnapshot.tenant_id == po.tenant_id, HandoffSnapshot.id.in_(ids)
        )
    }
