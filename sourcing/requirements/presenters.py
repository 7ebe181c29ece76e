"""A requirement as both audiences' APIs show it (one shape for client and provider)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from baton.platform.formatting import line_total, total_value
from baton.sourcing.requirements import services, snapshot
from baton.sourcing.requirements.models import Requirement


def _number(value) -> str | None:
    return snapshot.decimal_text(value) if value is not None else None


def represent(session: Session, req: Requirement, *, provider_view: bool = False) -> dict:
    """A requirement as the API shows it; the provider sees the frozen snapshot."""
    snap = services.current_snapshot(session, req)
    result = services.readiness_for(session, req, snap, provider_view=provider_view)
    open_return = services.open_return(session, req)
    return {
        **{name: getattr(req, name) for name in services.HEADER_FIELDS},
        "id": req.id,
        "status": req.status,
        "provider_id": req.provider_id,
        "submitted_at": req.submitted_at,
        "sla_due_at": req.sla_due_at,
        "snapshot_version": snap.version if snap else None,
        "snapshot_sha256": snap.sha256 if snap else None,
        "lines": [
            {
                "id": line.id,
                "line_no": line.line_no,
                **{name: getattr(line, name) for name in services.LINE_FIELDS},
                # "3.85" however it was stored (3.8500 after a round trip).
                "quantity": _number(line.quantity),
                "unit_price": _number(line.unit_price),
                "total": _number(line_total(line.quantity, line.unit_price)),
                "spec_required": line.spec_required,
                "spec_revision_ids": [s.revision_id for s in line.specs],
            }
            for line in req.lines
        ],
        # In ``currency``; None while a line still lacks its quantity or price.
        "total_value": _number(total_value(req.lines)),
        "readiness": result.as_dict(),
        "return_reasons": open_return.reasons if open_return else [],
    }
