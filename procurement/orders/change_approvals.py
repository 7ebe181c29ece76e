"""Whether a change order needs the client again, and the client's decision.

Material, under the client's policy, is any of: the total rises by more than
``change_tolerance_percent``; the new total needs more approvers than the old
one (it crosses a threshold); the change departs from the handoff in a way
the order did not already (a new exception, which the client accepts as for
a first release). Anything else is approved on submission. Separation of
duties as for orders: whoever drafted or submitted the change, or buys the
order, never approves it, and one person counts once per round.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.db import utcnow
from baton.platform.errors import Conflict, Forbidden, ValidationFailed
from baton.platform.formatting import money
from baton.platform.workflow import CLIENT, PROVIDER
from baton.procurement.orders import approvals
from baton.procurement.orders import change_proposals as proposals
from baton.procurement.orders.approvals import current_drift
from baton.procurement.orders.change_models import POChangeApproval, POChangeOrder
from baton.procurement.orders.change_orders import get_change
from baton.procurement.orders.change_states import CHANGE_ORDER
from baton.procurement.orders.fields import text_value
from baton.procurement.orders.models import PurchaseOrder
from baton.procurement.orders.policy import Policy, policy_for
from baton.procurement.orders.queries import get_for_client, get_for_provider


def new_exceptions(session: Session, po: PurchaseOrder, change: POChangeOrder) -> list[dict]:
    """Drift the change would add to what the order already departs by."""
    had = {(d.line_no, d.field, d.po_value) for d in current_drift(session, po)}
    virtual = proposals.as_order(po, change.header, change.lines)
    return [
        {
            "line_no": d.line_no,
            "field": d.field,
            "label": d.label,
            "snapshot_value": d.snapshot_value,
            "po_value": d.po_value,
            "status": "pending",
        }
        for d in current_drift(session, po, virtual)
        if (d.line_no, d.field, d.po_value) not in had
    ]


def materiality(
    policy: Policy, po: PurchaseOrder, after: Decimal, exceptions: list[dict]
) -> list[str]:
    """Why the change goes back to the client, in words; empty when it need not."""
    before = po.total
    reasons = []
    if policy.currency != po.currency:
        if after > before:
            reasons.append(
                f"The total rises, and the client's policy is in {policy.currency}, not {po.currency}."
            )
    else:
        tolerance = policy.change_tolerance_percent
        if after > before * (1 + tolerance / 100):
            rise = ((after - before) / before * 100) if before else Decimal(100)
            reasons.append(
                f"The total rises by {rise.quantize(Decimal('0.1'))} % ({money(before)} → {money(after)}),"
                f" more than the {tolerance.normalize():f} % the policy allows without approval."
            )
        if policy.approvals_for(after) > policy.approvals_for(before):
            reasons.append(
                f"The new total {money(after)} needs {policy.approvals_for(after)} approver(s);"
                f" the order as released needed {policy.approvals_for(before)}."
            )
    if exceptions:
        listed = "; ".join(
            f"{e['label']}: {e['snapshot_value'] or '—'} → {e['po_value'] or '—'}"
            for e in exceptions
        )
        reasons.append(f"It departs from the handoff: {listed}.")
    return reasons


def submit(
    session: Session,
    provider_id: uuid.UUID,
    user_id: uuid.UUID | None,
    po_id: uuid.UUID,
    change_id: uuid.UUID,
) -> POChangeOrder:
    po = get_for_provider(session, provider_id, po_id, lock=True)
    change = get_change(session, po, change_id, lock=True)
    CHANGE_ORDER.check("submit", change.status, PROVIDER)
    if change.base_revision != po.revision:
        raise Conflict("The order was revised since this change order was drafted; withdraw it.")
    # Receipts may have come in since the draft was saved.
    _h, _l, errors = proposals.read_proposal(session, po, (change.header, change.lines), {})
    if errors:
        raise ValidationFailed(errors)
    change.diff = proposals.diff(po, change.header, change.lines)
    change.total_before, change.total_after = po.total, proposals.proposal_total(change.lines)
    if not change.diff:
        raise ValidationFailed(
            {
                "lines": f"Nothing differs from revision {po.revision}; change something or withdraw it."
            }
        )
    policy = policy_for(session, po.tenant_id, po.currency)
    exceptions = new_exceptions(session, po, change)
    reasons = materiality(policy, po, change.total_after, exceptions)
    change.exceptions = exceptions
    change.material_reasons = reasons
    needed = policy.approvals_for(change.total_after) if policy.currency == po.currency else 1
    change.required_approvals = max(needed, 1) if reasons else 0
    change.approval_round += 1
    change.submitted_at = utcnow()
    change.submitted_by_id = user_id
    changes = {
        "required_approvals": [None, change.required_approvals],
        "total": [f"{change.total_before:.2f}", f"{change.total_after:.2f}"],
    }
    if change.required_approvals == 0:
        change.approved_at = utcnow()
        CHANGE_ORDER.apply(session, change, "approve_on_submit", side=PROVIDER, changes=changes)
    else:
        CHANGE_ORDER.apply(session, change, "submit", side=PROVIDER, changes=changes)
    return change


def _this_round(session: Session, change: POChangeOrder) -> list[POChangeApproval]:
    return list(
        session.scalars(
            sa.select(POChangeApproval).where(
                POChangeApproval.tenant_id == change.tenant_id,
                POChangeApproval.change_id == change.id,
                POChangeApproval.round == change.approval_round,
            )
        )
    )


def approvals_of(session: Session, po: PurchaseOrder) -> list[POChangeApproval]:
    return list(
        session.scalars(
            sa.select(POChangeApproval)
            .where(POChangeApproval.tenant_id == po.tenant_id, POChangeApproval.po_id == po.id)
            .order_by(POChangeApproval.created_at)
        )
    )


def decide(
    session: Session,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    po_id: uuid.UUID,
    change_id: uuid.UUID,
    *,
    approve: bool,
    comment: str | None = None,
    accept_exceptions: bool = False,
) -> POChangeOrder:
    po = get_for_client(session, tenant_id, po_id, lock=True)
    change = get_change(session, po, change_id, lock=True)
    CHANGE_ORDER.check("approve" if approve else "reject", change.status, CLIENT)
    drafted = {change.created_by_id, change.submitted_by_id, po.buyer_id, po.created_by_id}
    if user_id in drafted:
        raise Forbidden("The buyer who drafted this change cannot approve it.")
    decided = _this_round(session, change)
    if any(a.approver_id == user_id for a in decided):
        raise Conflict("You have already decided on this change; another approver must decide.")
    try:
        comment = text_value(comment, limit=2000, multiline=True)
    except ValueError as exc:
        raise ValidationFailed({"comment": str(exc)}) from None
    pending = [e for e in change.exceptions if e.get("status") == "pending"]
    if approve and pending and not accept_exceptions:
        raise ValidationFailed(
            {
                "accept_exceptions": "Accept the exceptions listed to approve; otherwise reject the change."
            }
        )
    if not approve and not comment:
        raise ValidationFailed({"comment": "Say why you reject it; the buyer reads this."})
    session.add(
        POChangeApproval(
            id=uuid.uuid4(),
            tenant_id=change.tenant_id,
            provider_id=change.provider_id,
            po_id=po.id,
            change_id=change.id,
            round=change.approval_round,
            approver_id=user_id,
            decision="approved" if approve else "rejected",
            comment=comment,
        )
    )
    session.flush()
    status = "accepted" if approve else "rejected"
    change.exceptions = [
        e | ({"status": status} if e.get("status") == "pending" else {}) for e in change.exceptions
    ]
    if not approve:
        CHANGE_ORDER.apply(
            session, change, "reject", side=CLIENT, changes={"comment": [None, comment]}
        )
        return change
    approved = 1 + sum(1 for a in decided if a.decision == "approved")
    approvals.settle(session, CHANGE_ORDER, change, approved, comment)
    return change


def inbox(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[POChangeOrder]:
    """Change orders awaiting this client's approval that this person may still decide."""
    decided = sa.select(POChangeApproval.change_id).where(
        POChangeApproval.tenant_id == tenant_id,
        POChangeApproval.approver_id == user_id,
        POChangeApproval.round == POChangeOrder.approval_round,
        POChangeApproval.change_id == POChangeOrder.id,
    )
    return list(
        session.scalars(
            sa.select(POChangeOrder)
            .where(
                POChangeOrder.tenant_id == tenant_id,
                POChangeOrder.status == "pending_approval",
                ~sa.exists(decided),
            )
            .order_by(POChangeOrder.submitted_at)
        )
    )
