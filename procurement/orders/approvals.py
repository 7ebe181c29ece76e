"""Submitting an order for the client's approval, and the client's decision.

The policy decides how many client approvers an order needs; any exception
(drift from the handoff) needs at least one, who accepts it by approving.
Separation of duties: the buyer who drafted or submitted the order never
approves it, and one person counts once however often they click.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform import audit
from baton.platform.db import utcnow
from baton.platform.errors import Conflict, Forbidden, ValidationFailed
from baton.platform.workflow import CLIENT, PROVIDER, Machine
from baton.procurement.orders import drift as drifts
from baton.procurement.orders.fields import text_value
from baton.procurement.orders.models import POApproval, POException, POLine, PurchaseOrder
from baton.procurement.orders.policy import policy_for
from baton.procurement.orders.queries import (
    approvals_of,
    get_for_client,
    get_for_provider,
    ordered_quantities,
)
from baton.procurement.orders.states import PURCHASE_ORDER
from baton.sourcing.requirements.models import HandoffSnapshot
from baton.sourcing.suppliers.models import Supplier


def current_drift(session: Session, po: PurchaseOrder, proposed: Any = None) -> list[drifts.Drift]:
    """Every difference between the order and the snapshots its lines came from;
    with ``proposed`` (the order as a change order would make it), that one's."""
    every = list(po.lines) + (list(proposed.lines) if proposed is not None else [])
    snap_ids = {line.snapshot_id for line in every}
    snaps = {
        s.id: s
        for s in session.scalars(
            sa.select(HandoffSnapshot).where(
                HandoffSnapshot.tenant_id == po.tenant_id, HandoffSnapshot.id.in_(snap_ids)
            )
        )
    }
    ordered = ordered_quantities(
        session, {po.tenant_id}, {line.requirement_line_id for line in every}
    )
    found: list[drifts.Drift] = []
    first = snaps.get(po.lines[0].snapshot_id) if po.lines else None
    if first is not None:
        supplier = session.get(Supplier, po.supplier_id)
        po.supplier_name = supplier.name if supplier else None  # type: ignore[attr-defined]
        if proposed is not None:
            proposed.supplier_name = po.supplier_name  # type: ignore[attr-defined]
        found += drifts.header_drift(proposed or po, first.payload)
    in_force = {line.line_no: line.quantity for line in po.lines}
    for line in (proposed or po).lines:
        snap = snaps.get(line.snapshot_id)
        if snap is None:
            continue
        snap_line = next(
            (x for x in snap.payload["lines"] if x["line_id"] == str(line.requirement_line_id)),
            None,
        )
        if snap_line is not None:
            total = ordered.get(line.requirement_line_id, Decimal(0))
            # A line a change order adds is on no order yet: all of it comes on top.
            total += line.quantity - in_force.get(line.line_no, Decimal(0))
            if po.status == "cancelled":
                total += line.quantity
            found += drifts.line_drift(line, snap_line, total)
    return found


@dataclass(frozen=True)
class SplitWarning:
    """Orders from the same handoffs that together pass a threshold one alone stays under."""

    threshold: Decimal
    combined: Decimal
    numbers: tuple[str, ...]


def split_warning(session: Session, po: PurchaseOrder) -> SplitWarning | None:
    policy = policy_for(session, po.tenant_id, po.currency)
    reqs = {line.requirement_id for line in po.lines}
    others = list(
        session.scalars(
            sa.select(PurchaseOrder).where(
                PurchaseOrder.tenant_id == po.tenant_id,
                PurchaseOrder.id != po.id,
                PurchaseOrder.status != "cancelled",
                PurchaseOrder.currency == po.currency,
                PurchaseOrder.id.in_(
                    sa.select(POLine.po_id).where(
                        POLine.tenant_id == po.tenant_id, POLine.requirement_id.in_(reqs)
                    )
                ),
            )
        )
    )
    if not others:
        return None
    combined = po.total + sum((o.total for o in others), Decimal(0))
    mine = policy.approvals_for(po.total)
    for limit in (policy.one_approver_above, policy.two_approvers_above):
        if (
            limit is not None
            and all(policy.approvals_for(o.total) == mine for o in others)
            and po.total <= limit < combined
        ):
            return SplitWarning(limit, combined, tuple(sorted(o.number for o in others)))
    return None


def submit(
    session: Session,
    provider_id: uuid.UUID,
    user_id: uuid.UUID | None,
    po_id: uuid.UUID,
    *,
    reason: str | None = None,
) -> PurchaseOrder:
    po = get_for_provider(session, provider_id, po_id, lock=True)
    PURCHASE_ORDER.check("submit", po.status, PROVIDER)
    found = current_drift(session, po)
    try:
        reason = text_value(reason, limit=2000, multiline=True)
    except ValueError as exc:
        raise ValidationFailed({"reason": str(exc)}) from None
    if found and not reason:
        listed = "; ".join(f"{d.label}: {d.snapshot_value} → {d.po_value}" for d in found)
        raise ValidationFailed(
            {
                "reason": f"Say why the order differs from the handoff ({listed}); the client sees it."
            }
        )
    po.exception_reason = reason if found else None
    for d in found:
        session.add(
            POException(
                id=uuid.uuid4(),
                tenant_id=po.tenant_id,
                provider_id=po.provider_id,
                po_id=po.id,
                revision=po.revision,
                line_no=d.line_no,
                field=d.field,
                snapshot_value=(d.snapshot_value or "")[:500] or None,
                po_value=(d.po_value or "")[:500] or None,
                reason=reason,
            )
        )
    policy = policy_for(session, po.tenant_id, po.currency)
    needed = policy.approvals_for(po.total) if policy.currency == po.currency else 1
    po.required_approvals = max(needed, 1 if found else 0)
    po.approval_round += 1
    po.submitted_at = utcnow()
    po.buyer_id = po.buyer_id or user_id
    changes = {
        "required_approvals": [None, po.required_approvals],
        "exceptions": [None, len(found)],
    }
    if po.required_approvals == 0:
        po.approved_at = utcnow()
        PURCHASE_ORDER.apply(session, po, "approve_on_submit", side=PROVIDER, changes=changes)
    else:
        PURCHASE_ORDER.apply(session, po, "submit", side=PROVIDER, changes=changes)
    return po


def recall(session: Session, provider_id: uuid.UUID, po_id: uuid.UUID) -> PurchaseOrder:
    po = get_for_provider(session, provider_id, po_id, lock=True)
    PURCHASE_ORDER.apply(session, po, "recall", side=PROVIDER)
    _close_exceptions(po, session, "withdrawn", None)
    return po


def _close_exceptions(po: PurchaseOrder, session: Session, status: str, user_id) -> None:
    for exc in session.scalars(
        sa.select(POException).where(
            POException.tenant_id == po.tenant_id,
            POException.po_id == po.id,
            POException.status == "pending",
        )
    ):
        exc.status = status
        exc.decided_by_id = user_id
        exc.decided_at = utcnow()


def _this_round(session: Session, po: PurchaseOrder) -> list[POApproval]:
    return [
        a
        for a in approvals_of(session, po)
        if a.revision == po.revision and a.round == po.approval_round
    ]


def _check_approver(session: Session, po: PurchaseOrder, user_id: uuid.UUID) -> None:
    if user_id in (po.buyer_id, po.created_by_id):
        raise Forbidden("The buyer who drafted this order cannot approve it.")
    if any(a.approver_id == user_id for a in _this_round(session, po)):
        raise Conflict("You have already decided on this order; another approver must decide.")


def decide(
    session: Session,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    po_id: uuid.UUID,
    *,
    approve: bool,
    comment: str | None = None,
    accept_exceptions: bool = False,
) -> PurchaseOrder:
    po = get_for_client(session, tenant_id, po_id, lock=True)
    PURCHASE_ORDER.check("approve" if approve else "reject", po.status, CLIENT)
    _check_approver(session, po, user_id)
    try:
        comment = text_value(comment, limit=2000, multiline=True)
    except ValueError as exc:
        raise ValidationFailed({"comment": str(exc)}) from None
    pending = [
        e
        for e in session.scalars(
            sa.select(POException).where(
                POException.tenant_id == po.tenant_id,
                POException.po_id == po.id,
                POException.status == "pending",
            )
        )
    ]
    if approve and pending and not accept_exceptions:
        raise ValidationFailed(
            {
                "accept_exceptions": "Accept the exceptions listed to approve; otherwise reject the order."
            }
        )
    if not approve and not comment:
        raise ValidationFailed({"comment": "Say why you reject it; the buyer reads this."})
    session.add(
        POApproval(
            id=uuid.uuid4(),
            tenant_id=po.tenant_id,
            provider_id=po.provider_id,
            po_id=po.id,
            revision=po.revision,
            round=po.approval_round,
            approver_id=user_id,
            decision="approved" if approve else "rejected",
            comment=comment,
        )
    )
    session.flush()
    if not approve:
        _close_exceptions(po, session, "rejected", user_id)
        PURCHASE_ORDER.apply(
            session, po, "reject", side=CLIENT, changes={"comment": [None, comment]}
        )
        return po
    _close_exceptions(po, session, "accepted", user_id)
    approved = sum(1 for a in _this_round(session, po) if a.decision == "approved")
    settle(session, PURCHASE_ORDER, po, approved, comment)
    return po


def settle(
    session: Session, machine: Machine, obj: Any, approved: int, comment: str | None
) -> None:
    """After one more approval: approved once enough people have, else the
    partial approval recorded (an order and a change order count alike)."""
    if approved >= obj.required_approvals:
        obj.approved_at = utcnow()
        machine.apply(
            session,
            obj,
            "approve",
            side=CLIENT,
            changes={"approvals": [None, approved], "comment": [None, comment]},
        )
        return
    audit.record(
        session,
        tenant_id=obj.tenant_id,
        provider_id=obj.provider_id,
        action=f"{machine.name}.approval_recorded",
        entity_type=machine.name,
        entity_id=obj.id,
        changes={"approvals": [approved - 1, approved], "needed": [None, obj.required_approvals]},
    )


def inbox(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[PurchaseOrder]:
    """Orders awaiting this client's approval that this person may still decide."""
    decided = sa.select(POApproval.po_id).where(
        POApproval.tenant_id == tenant_id,
        POApproval.approver_id == user_id,
        POApproval.round == PurchaseOrder.approval_round,
        POApproval.revision == PurchaseOrder.revision,
        POApproval.po_id == PurchaseOrder.id,
    )
    return list(
        session.scalars(
            sa.select(PurchaseOrder)
            .where(
                PurchaseOrder.tenant_id == tenant_id,
                PurchaseOrder.status == "pending_approval",
                ~sa.exists(decided),
            )
            .order_by(PurchaseOrder.submitted_at)
        )
    )
