"""What an order's pages show of its change orders and revisions, gathered once
(a constant number of statements however many change orders there are)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from baton.procurement.orders import (
    change_approvals,
    change_lines,
    change_orders,
    revisions,
    spec_changes,
)
from baton.procurement.orders.change_models import POChangeOrder
from baton.procurement.orders.change_proposals import document_revisions
from baton.procurement.orders.change_states import CHANGE_ORDER
from baton.procurement.orders.models import PurchaseOrder
from baton.procurement.orders.states import PURCHASE_ORDER
from baton.tenants.services import user_names


def detail(session: Session, po: PurchaseOrder) -> dict[str, Any]:
    changes = change_orders.changes_of(session, po)
    decisions = change_approvals.approvals_of(session, po)
    by_change: dict = {}
    for a in decisions:
        by_change.setdefault(a.change_id, []).append(a)
    return {
        "changes": changes,
        "open_change": next((c for c in changes if CHANGE_ORDER.in_group("open", c.status)), None),
        "change_decisions": by_change,
        "change_people": user_names(
            session,
            {a.approver_id for a in decisions} | {c.created_by_id for c in changes},
        ),
        "revisions": revisions.revisions_of(session, po),
        "outdated": spec_changes.outdated_summary(session, po)
        if any(line.spec_outdated for line in po.lines)
        else [],
        "changeable": PURCHASE_ORDER.in_group("changeable", po.status),
        "change_cause_labels": change_orders.CAUSE_LABELS,
        "change_machine": CHANGE_ORDER,
    }


def change_page(session: Session, po: PurchaseOrder, change: POChangeOrder) -> dict[str, Any]:
    """A change order's own page: its proposal beside the revision in force."""
    numbers = {s["document_number"] for line in po.lines for s in line.specs or []}
    numbers |= {s["document_number"] for line in change.lines for s in line.get("specs") or []}
    approvals = [a for a in change_approvals.approvals_of(session, po) if a.change_id == change.id]
    editable = CHANGE_ORDER.in_group("editable", change.status)
    return {
        "change": change,
        "proposed": {line["line_no"]: line for line in change.lines},
        "po_lines": {line.line_no: line for line in po.lines},
        # Handoff lines the buyer may add: only while the change is a draft.
        "addable": change_lines.addable(session, po, change.lines) if editable else [],
        "spec_choices": document_revisions(session, po.tenant_id, numbers),
        "change_approvals": approvals,
        "change_people": user_names(
            session, {a.approver_id for a in approvals} | {change.created_by_id}
        ),
        "change_cause_labels": change_orders.CAUSE_LABELS,
        "change_machine": CHANGE_ORDER,
        "change_approved_count": sum(
            1 for a in approvals if a.round == change.approval_round and a.decision == "approved"
        ),
    }
