"""Verifying the audit chain for an order's dossier, as far as its reader may see it.

The client owns its chain and sees all of it: ``audit.verify_chain`` recomputes
it from event #1 to the head. A provider sees only the events it wrote into
the client's chain (row-level security), so it cannot recompute the links
across the client's own events; what it can check, it does: every visible
event's hash against its content and stored previous hash, every link between
two consecutive visible events, and the chain head against the last event.
The report says which of the two was done, so nobody reads a partial check as
a whole one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform import audit
from baton.platform.audit import AuditChainHead, AuditEvent


@dataclass(frozen=True)
class ChainReport:
    verified: bool
    # "whole chain" (the client's) or "visible events" (a provider's).
    scope: str
    events_checked: int
    head_seq: int
    broken_at: int | None = None
    broken_event_id: uuid.UUID | None = None
    reason: str | None = None
    # Events in between that this reader cannot see (the client's own).
    not_visible: int = 0

    def as_dict(self) -> dict:
        return {
            "verified": self.verified,
            "scope": self.scope,
            "events_checked": self.events_checked,
            "chain_head_seq": self.head_seq,
            "not_visible_to_reader": self.not_visible,
            "broken_at_seq": self.broken_at,
            "broken_event_id": str(self.broken_event_id) if self.broken_event_id else None,
            "reason": self.reason,
        }


def _head(session: Session, tenant_id: uuid.UUID) -> AuditChainHead | None:
    return session.get(AuditChainHead, tenant_id)


def verify_whole(session: Session, tenant_id: uuid.UUID) -> ChainReport:
    head = _head(session, tenant_id)
    head_seq = head.seq if head else 0
    broken = audit.verify_chain(session, tenant_id)
    if broken is None:
        return ChainReport(True, "whole chain", head_seq, head_seq)
    return ChainReport(
        False,
        "whole chain",
        max(broken.seq - 1, 0),
        head_seq,
        broken_at=broken.seq,
        broken_event_id=broken.event_id,
        reason=broken.reason,
    )


def verify_visible(session: Session, tenant_id: uuid.UUID) -> ChainReport:
    """Every event this session may see of ``tenant_id``'s chain, streamed in order."""
    head = _head(session, tenant_id)
    head_seq = head.seq if head else 0
    checked = hidden = 0
    previous: AuditEvent | None = None
    events = session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.tenant_id == tenant_id)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=500)
    )

    def broken(event: AuditEvent, reason: str) -> ChainReport:
        return ChainReport(
            False,
            "visible events",
            checked,
            head_seq,
            broken_at=event.seq,
            broken_event_id=event.id,
            reason=reason,
            not_visible=hidden,
        )

    for event in events:
        if audit.chain_hash(event.prev_hash, event) != event.hash:
            return broken(event, "content does not match its hash")
        if previous is not None and event.seq == previous.seq + 1:
            if event.prev_hash != previous.hash:
                return broken(event, "previous-hash link does not match")
        elif previous is None and event.seq == 1 and event.prev_hash != audit.GENESIS:
            return broken(event, "the first event does not start from the genesis hash")
        else:
            hidden += event.seq - (previous.seq if previous else 0) - 1
        previous = event
        checked += 1
    last_seq = previous.seq if previous else 0
    if previous is not None and last_seq > head_seq:
        return broken(previous, f"event was added past the chain head (#{head_seq})")
    if previous is not None and last_seq == head_seq and head.hash != previous.hash:
        return broken(previous, "chain head does not match the last event")
    hidden += head_seq - last_seq
    return ChainReport(True, "visible events", checked, head_seq, not_visible=hidden)


def verify_for_reader(
    session: Session, reader_org_id: uuid.UUID, tenant_id: uuid.UUID
) -> ChainReport:
    if reader_org_id == tenant_id:
        return verify_whole(session, tenant_id)
    return verify_visible(session, tenant_id)


def verification_text(report: ChainReport, *, client: str, reader: str, order: str) -> str:
    if report.verified and report.scope == "whole chain":
        lines = [
            "VERIFIED",
            "",
            f"The audit chain of {client} was recomputed from event #1 to the chain head"
            f" (#{report.head_seq}): every event matches its hash and every link holds.",
            f"The events of {order} in audit/events.jsonl are part of that chain.",
        ]
    elif report.verified:
        lines = [
            "VERIFIED (the events visible to the reader)",
            "",
            f"{reader} sees the {report.events_checked} events it wrote into {client}'s"
            f" audit chain (head #{report.head_seq}); each matches its hash, and each link"
            " between two consecutive events holds.",
            f"{report.not_visible} events of the chain are {client}'s own and not visible"
            f" to {reader}, so the links across them were not recomputed here; {client}'s"
            " own dossier of this order verifies the whole chain.",
        ]
    else:
        lines = [
            "BROKEN",
            "",
            f"The audit chain of {client} breaks at event #{report.broken_at}"
            f" (id {report.broken_event_id or 'n/a'}): {report.reason}.",
            f"{report.events_checked} events before it were checked and hold.",
            "Someone or something changed or removed audit events outside the audit"
            " writer. Keep this dossier and a copy of the database before repairing anything.",
        ]
    lines += [
        "",
        "How to check it yourself: each line of audit/events.jsonl is one event. Take the",
        "line without its prev_hash and hash, write it as JSON with sorted keys, no spaces",
        "(separators ',' and ':') and UTF-8 unescaped; hash = SHA-256(prev_hash + that text).",
        "An event's prev_hash is the hash of the event before it in the chain (seq - 1).",
    ]
    return "\n".join(lines) + "\n"
