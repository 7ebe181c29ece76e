"""The append-only, hash-chained audit trail (DESIGN.md section 4).

Each organisation has one chain. An event's hash is
``sha256(previous hash || canonical JSON of the event)``; the chain head is
advanced under a per-tenant lock so two writers cannot fork it, and a unique
``(tenant_id, seq)`` makes a fork impossible even if the lock were skipped.

``record`` keeps an event with its transaction and the chain takes it at
commit: the head is locked, numbered and moved once per transaction, in the
last statements before COMMIT. Taken at the first event instead, the lock
serialised every writer of a tenant for the rest of each transaction, a PDF
render and an S3 upload included (decision 0018).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, Session, mapped_column

from baton.platform.db import AuditScoped, Base, context_change_hooks, utcnow
from baton.platform.metering import on_audit
from baton.platform.request_context import actor_var, request_id_var

GENESIS = "0" * 64


class AuditEvent(AuditScoped, Base):
    __tablename__ = "audit_events"

    # Key (tenant_id, id) with AuditScoped; id indexed for lookups by id alone.
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4, index=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_kind: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[str | None] = mapped_column(sa.String(64))
    actor_label: Mapped[str] = mapped_column(sa.String(254))
    action: Mapped[str] = mapped_column(sa.String(64))
    entity_type: Mapped[str] = mapped_column(sa.String(64))
    entity_id: Mapped[str] = mapped_column(sa.String(64))
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "seq", name="uq_audit_events_tenant_seq"),
        sa.Index("ix_audit_events_entity", "tenant_id", "entity_type", "entity_id"),
    )


class AuditChainHead(Base):
    __tablename__ = "audit_chain_heads"

    tenant_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS)


def jsonable(value: Any) -> Any:
    """Values as they appear in a diff: exact text for money and times. A
    decimal is written without padding (``200.0000`` and ``200`` are the same
    quantity), so re-saving an unchanged number is never recorded as a change."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field-level diff: ``{field: [before, after]}`` for fields that changed."""
    changes = {}
    for key in sorted(set(before) | set(after)):
        old, new = jsonable(before.get(key)), jsonable(after.get(key))
        if old != new:
            changes[key] = [old, new]
    return changes


def snapshot(obj: Any, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}


def canonical(event: AuditEvent) -> str:
    body = {
        "tenant_id": str(event.tenant_id),
        "provider_id": str(event.provider_id) if event.provider_id else None,
        "seq": event.seq,
        "id": str(event.id),
        "created_at": event.created_at.isoformat(),
        "actor": [event.actor_kind, event.actor_id, event.actor_label],
        "action": event.action,
        "entity": [event.entity_type, event.entity_id],
        "changes": event.changes,
        "request_id": event.request_id,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + canonical(event)).encode()).hexdigest()


_HEADS = "audit_heads"
_PENDING = "audit_pending"


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_heads(session: Session, transaction) -> None:
    # The lock ends with the transaction (or the head may have been rolled
    # back with a savepoint): the next append locks and reads again.
    session.info.pop(_HEADS, None)
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction) -> None:
    """Events recorded inside a savepoint that rolled back never happened."""
    pending = session.info.get(_PENDING)
    if pending and previous_transaction.nested:
        session.info[_PENDING] = [
            (tx, e) for tx, e in pending if not _within(tx, previous_transaction)
        ]


def _within(tx, ancestor) -> bool:
    while tx is not None:
        if tx is ancestor:
            return True
        tx = tx.parent
    return False


@sa_event.listens_for(Session, "before_commit")
def _append_at_commit(session: Session) -> None:
    # A savepoint's release leaves its events for the outer commit.
    if not session.in_nested_transaction():
        _append_pending(session)


def _append_before_context_change(session: Session) -> None:
    """Events recorded under one context are written under it (its RLS and
    write guard), before a session that acts for several moves on."""
    _append_pending(session)
    session.flush()


context_change_hooks.append(_append_before_context_change)


def _append_pending(session: Session) -> None:
    """Put the session's recorded events on their chains.

    Tenants are locked in one order, so two transactions writing the same
    two tenants cannot deadlock.
    """
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    by_tenant: dict[uuid.UUID, list[AuditEvent]] = {}
    for _, event in pending:
        by_tenant.setdefault(event.tenant_id, []).append(event)
    for tenant_id in sorted(by_tenant, key=str):
        seq, prev = _lock_head(session, tenant_id)
        for event in by_tenant[tenant_id]:
            seq += 1
            event.seq = seq
            event.prev_hash = prev
            event.hash = prev = chain_hash(prev, event)
        session.add_all(by_tenant[tenant_id])
        session.execute(
            sa.update(AuditChainHead)
            .where(AuditChainHead.tenant_id == tenant_id)
            .values(seq=seq, hash=prev)
        )
        session.info.setdefault(_HEADS, {})[tenant_id] = (seq, prev)


def _lock_head(session: Session, tenant_id: uuid.UUID) -> tuple[int, str]:
    """Lock the tenant's chain head for this transaction and read it. A second
    append in the same transaction already holds the lock and knows the head."""
    known = session.info.get(_HEADS, {}).get(tenant_id)
    if known is not None:
        return known
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:t, 0))"), {"t": str(tenant_id)}
        )
    else:
        # SQLite has one writer at a time; a no-op write takes that lock before
        # the head is read, so a second writer waits instead of reusing the seq.
        conn.execute(
            sa.update(AuditChainHead)
            .where(AuditChainHead.tenant_id == tenant_id)
            .values(seq=AuditChainHead.seq)
        )
    row = conn.execute(
        sa.select(AuditChainHead.seq, AuditChainHead.hash).where(
            AuditChainHead.tenant_id == tenant_id
        )
    ).first()
    if row is None:
        conn.execute(sa.insert(AuditChainHead).values(tenant_id=tenant_id, seq=0, hash=GENESIS))
        return 0, GENESIS
    return row.seq, row.hash


def record(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID | str,
    changes: dict[str, Any] | None = None,
    provider_id: uuid.UUID | None = None,
) -> AuditEvent:
    """Record one event in the caller's transaction; it joins the tenant's
    chain (``seq``, ``hash``) when the transaction commits."""
    actor = actor_var.get()
    event = AuditEvent(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        provider_id=provider_id,
        created_at=utcnow(),
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        changes=jsonable(changes or {}),
        request_id=request_id_var.get(),
    )
    if not session.in_transaction():
        # Bound to a transaction, so that ending it without a commit drops the event.
        session.begin()
    session.info.setdefault(_PENDING, []).append((session.get_nested_transaction(), event))
    # A billable act is metered in its own transaction (platform.metering).
    on_audit(session, event)
    return event


@dataclass(frozen=True)
class ChainBreak:
    tenant_id: uuid.UUID
    seq: int
    event_id: uuid.UUID | None
    reason: str


def verify_chain(session: Session, tenant_id: uuid.UUID) -> ChainBreak | None:
    """Recompute the chain; return the first broken event, or None when intact."""
    prev = GENESIS
    expected_seq = 1
    last_id: uuid.UUID | None = None
    ids: dict[int, uuid.UUID] = {}
    events = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.tenant_id == tenant_id).order_by(AuditEvent.seq)
    )
    for event in events:
        if event.seq != expected_seq:
            return ChainBreak(tenant_id, expected_seq, None, f"event #{expected_seq} is missing")
        if event.prev_hash != prev:
            return ChainBreak(tenant_id, event.seq, event.id, "previous-hash link does not match")
        if chain_hash(prev, event) != event.hash:
            return ChainBreak(tenant_id, event.seq, event.id, "content does not match its hash")
        prev, last_id = event.hash, event.id
        ids[event.seq] = event.id
        expected_seq += 1
    last_seq = expected_seq - 1
    # The head is written with every event, so it also tells when the newest
    # events were removed, or events were added past it by someone else.
    head = session.get(AuditChainHead, tenant_id)
    if head is None:
        if last_seq:
            return ChainBreak(tenant_id, last_seq, last_id, "the chain head is missing")
        return None
    if head.seq > last_seq:
        return ChainBreak(
            tenant_id,
            last_seq + 1,
            None,
            f"event #{last_seq + 1} is missing (the chain head is at #{head.seq})",
        )
    if head.seq < last_seq:
        return ChainBreak(
            tenant_id,
            head.seq + 1,
            ids[head.seq + 1],
            f"event was added past the chain head (#{head.seq}), outside the audit writer",
        )
    if head.hash != prev:
        return ChainBreak(tenant_id, last_seq, last_id, "chain head does not match the last event")
    return None


def chain_tenants(session: Session) -> list[uuid.UUID]:
    """Every tenant with a chain head or an event, so losing either is noticed."""
    heads = sa.select(AuditChainHead.tenant_id)
    events = sa.select(AuditEvent.tenant_id).distinct()
    union = sa.union(heads, events).subquery()
    return sorted(set(session.scalars(sa.select(union.c.tenant_id))))


def events_for(
    session: Session,
    tenant_id: uuid.UUID,
    entity_type: str,
    entity_id: uuid.UUID | str,
    limit: int = 200,
) -> list[AuditEvent]:
    """An entity's history in one tenant's chain, newest first."""
    return list(
        session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.tenant_id == tenant_id,
                AuditEvent.entity_type == entity_type,
                AuditEvent.entity_id == str(entity_id),
            )
            .order_by(AuditEvent.created_at.desc(), AuditEvent.seq.desc())
            .limit(limit)
        )
    )
