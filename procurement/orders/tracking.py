"""A requirement followed to its orders, for the client's sourcing users: each
order's status, its lines from this requirement with what was ordered,
promised and received, the supplier's answer, and what is left to order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from baton.procurement.orders.open_orders import (
    ack_summary,
    current_acknowledgements,
    is_overdue,
    line_ack,
    supplier_names,
)
from baton.procurement.orders.queries import orders_of_requirement
from baton.procurement.orders.requirements import remaining_by_line
from baton.procurement.orders.states import PURCHASE_ORDER
from baton.sourcing.requirements.models import HandoffSnapshot, Requirement


def requirement_orders(session: Session, req: Requirement) -> dict[str, Any]:
    """The client's view: orders a buyer has submitted (a draft is the provider's)."""
    orders = [
        po
        for po in orders_of_requirement(session, req.tenant_id, req.id)
        if po.submitted_at is not None
    ]
    acks = current_acknowledgements(session, orders)
    suppliers = supplier_names(session, orders)
    rows = []
    for po in orders:
        ack = acks.get(po.id)
        released = PURCHASE_ORDER.in_group("released", po.status)
        rows.append(
            {
                "po": po,
                "status": PURCHASE_ORDER.label(po.status),
                "supplier": suppliers.get(po.supplier_id, ""),
                "acknowledgement": ack_summary(ack) if released else None,
                "overdue": is_overdue(po),
                "lines": [
                    {
                        "line": line,
                        "acknowledgement": line_ack(ack, line.line_no) if released else None,
                        "open": max(line.quantity - line.received_quantity, Decimal(0)),
                    }
                    for line in po.lines
                    if line.requirement_id == req.id
                ],
                # Order issues (issue 9 item 11) set this to the number of open
                # issues; the partial procurement/_po_issues_slot.html shows them.
                "open_issues": None,
            }
        )
    snapshot = (
        session.get(HandoffSnapshot, req.current_snapshot_id) if req.current_snapshot_id else None
    )
    remaining = remaining_by_line(session, req, snapshot) if snapshot is not None else {}
    lines = {str(line["line_id"]): line for line in snapshot.payload["lines"]} if snapshot else {}
    return {
        "orders": rows,
        "remaining": [
            {"line": lines[key], **figures} for key, figures in remaining.items() if key in lines
        ],
    }
