"""Metering: every billable act becomes one usage event, in the act's own transaction.

An area declares which of its audited acts are billable, as data, beside the
act (``meters.py``)::

    METERS = [
        Meter("purchase_order.release", "po_released", PurchaseOrder,
              key=lambda po: f"po_released:{po.id}:{po.revision}"),
        Meter("purchase_order.release", "po_line_released", PurchaseOrder,
              key=lambda po: f"po_line_released:{po.id}:{po.revision}",
              quantity=lambda po: len(po.lines)),
    ]

Every change is audited, and every state change goes through the workflow
machine, which audits it; so ``audit.record`` is the one place every act
passes and the place usage is metered (no service has to remember to). The
ledger (the tenants area's ``billing``) installs the recorder that writes
the row; its key is unique, so a retried job or a replayed request that
repeats an act records nothing new.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, Protocol

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Usage:
    metric: str
    key: str
    quantity: Decimal
    tenant_id: uuid.UUID
    provider_id: uuid.UUID
    occurred_at: datetime
    action: str
    entity_type: str
    entity_id: str
    # Known from the subject (an order names its engagement): no lookup then.
    engagement_id: uuid.UUID | None = None


def _one(subject: Any) -> int:
    return 1


@dataclass(frozen=True)
class Meter:
    # The audit action that is the billable act (``purchase_order.release``).
    action: str
    metric: str
    # The audited object's class, loaded by id (from the identity map: no SQL).
    subject: type
    # What makes the act unique: the same key is never metered twice.
    key: Callable[[Any], str]
    quantity: Callable[[Any], int | Decimal] = _one
    # Whose usage it is; an act with no provider (a client's own) is not billed.
    provider: Callable[[Any], uuid.UUID | None] = lambda subject: subject.provider_id
    # The engagement it is billed under, where the subject knows it.
    engagement: Callable[[Any], uuid.UUID | None] = lambda subject: getattr(
        subject, "engagement_id", None
    )


class Recorder(Protocol):
    """Writes the usage of one act (all its meters) in one statement."""

    def __call__(self, session: Session, usages: Sequence[Usage]) -> None: ...


_recorder: list[Recorder] = []


def install(recorder: Recorder) -> None:
    """The ledger's writer (the tenants area installs it at start-up)."""
    _recorder[:] = [recorder]


@cache
def meters() -> dict[str, tuple[Meter, ...]]:
    """Every declared meter by audit action, from the areas' ``meters`` modules."""
    from baton.platform.areas import areas

    found: dict[str, list[Meter]] = {}
    for area in areas():
        for ref in area.meters:
            module, _, name = ref.partition(":")
            for meter in getattr(importlib.import_module(module), name or "METERS"):
                found.setdefault(meter.action, []).append(meter)
    return {action: tuple(ms) for action, ms in found.items()}


def on_audit(session: Session, event: Any) -> None:
    """Meter the act ``event`` records, if it is billable (called by ``audit.record``)."""
    declared = meters().get(event.action)
    if not declared:
        return
    if not _recorder:
        raise RuntimeError("no usage ledger installed (is the tenants area declared?)")
    usages = []
    for meter in declared:
        subject = session.get(meter.subject, uuid.UUID(event.entity_id))
        provider_id = meter.provider(subject) if subject is not None else None
        if provider_id is None:
            continue
        quantity = Decimal(meter.quantity(subject))
        if quantity <= 0:
            continue
        usages.append(
            Usage(
                metric=meter.metric,
                key=meter.key(subject),
                quantity=quantity,
                tenant_id=event.tenant_id,
                provider_id=provider_id,
                occurred_at=event.created_at,
                action=event.action,
                entity_type=event.entity_type,
                entity_id=event.entity_id,
                engagement_id=meter.engagement(subject),
            )
        )
    if usages:
        # One round trip for the act's meters (an order and its lines).
        _recorder[0](session, usages)
