"""Purchase orders for tests: an accepted handoff, a draft from it, and on."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from flask import Flask

from baton.procurement.handoff import review
from baton.procurement.orders import approvals, drafting, policy, release
from baton.procurement.orders.models import PurchaseOrder
from baton.procurement.orders.queries import WITH_LINES
from tests.support import requirements as h
from tests.support.world import World


def accepted(app: Flask, world: World, supplier_id=None, **overrides: Any) -> uuid.UUID:
    """An acme handoff accepted by north: ready to order."""
    rid = h.submitted(app, world, supplier_id, **overrides)
    with h.as_provider(app, world) as (session, user_id):
        review.accept(session, world.orgs["north"], user_id, rid)
    return rid


def ready_keys(app: Flask, world: World, requirement_id: uuid.UUID) -> list[str]:
    with h.as_provider(app, world) as (session, _):
        return [
            r.key
            for r in drafting.ready_lines(session, world.orgs["north"])
            if r.requirement.id == requirement_id
        ]


def draft(
    app: Flask, world: World, requirement_id: uuid.UUID | None = None, **overrides
) -> uuid.UUID:
    requirement_id = requirement_id or accepted(app, world, **overrides)
    keys = ready_keys(app, world, requirement_id)
    with h.as_provider(app, world) as (session, user_id):
        return drafting.create_draft(session, world.orgs["north"], user_id, keys).id


def set_policy(app: Flask, world: World, one: str, two: str | None = None, **extra) -> None:
    with h.as_client(app, world, who="acme_admin") as (session, _):
        policy.update_policy(
            session,
            world.orgs["acme"],
            {
                "currency": "EUR",
                "one_approver_above": one,
                "two_approvers_above": two or "",
                "change_tolerance_percent": extra.get("change", "5"),
                "receipt_tolerance_percent": extra.get("receipt", "0"),
            },
        )


def submit(app: Flask, world: World, po_id: uuid.UUID, reason: str | None = None) -> None:
    with h.as_provider(app, world) as (session, user_id):
        approvals.submit(session, world.orgs["north"], user_id, po_id, reason=reason)


def approve(app: Flask, world: World, po_id: uuid.UUID, who: str = "acme_approver", **kw) -> None:
    with h.as_client(app, world, who=who) as (session, user_id):
        approvals.decide(session, world.orgs["acme"], user_id, po_id, approve=True, **kw)


def released(app: Flask, world: World, **overrides) -> uuid.UUID:
    """A released order of acme's (no approval needed: under the threshold)."""
    po_id = draft(app, world, **overrides)
    submit(app, world, po_id)
    with h.as_provider(app, world) as (session, _):
        release.release(session, world.orgs["north"], po_id)
    return po_id


def load(app: Flask, po_id: uuid.UUID) -> PurchaseOrder:
    import sqlalchemy as sa

    with h.service_session(app) as session:
        po = session.scalar(
            sa.select(PurchaseOrder).where(PurchaseOrder.id == po_id).options(*WITH_LINES)
        )
        session.expunge_all()
        return po


def total(lines) -> Decimal:
    return sum((line.quantity * line.unit_price for line in lines), Decimal(0))
