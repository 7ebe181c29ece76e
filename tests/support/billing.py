"""A known ledger for billing tests: plans, a plan change, events at chosen times, a credit.

March 2025 (31 days): north is on ``basic`` (300 EUR, 10 orders included, the
next 100 at 1.00, then 0.50) until the 11th at 00:00 UTC, then on ``growth``
(600 EUR, every order at 0.40). acme releases 70 orders and globex 50 while on
basic, acme 30 on growth; globex gets a 20 EUR SLA credit. By hand:

* base fee: 300 x 10/31 = 96.77; 600 x 21/31 = 406.45
* basic: 120 orders, 10 included, 100 x 1.00 + 10 x 0.50 = 105.00, shared
  70:50 -> acme 61.25, globex 43.75
* growth: 30 x 0.40 = 12.00, all acme's
* credit: -20.00; total 96.77 + 406.45 + 105.00 + 12.00 - 20.00 = 600.22
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Flask

from baton.tenants.billing import ledger, plans
from baton.tenants.billing.models import CreditGrant
from tests.support import requirements as h
from tests.support.world import World

MARCH = date(2025, 3, 1)
CHANGE = datetime(2025, 3, 11, tzinfo=UTC)


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=UTC)


def make_plans(app: Flask, world: World) -> dict[str, str]:
    codes = {"basic": f"basic-{world.suffix}", "growth": f"growth-{world.suffix}"}
    with h.service_session(app) as session:
        plans.create_plan(
            session,
            {
                "code": codes["basic"],
                "name": f"Basic {world.suffix}",
                "currency": "EUR",
                "base_fee": "300",
                "prices": {"po_released": "10:0-100@1.00,100-@0.50"},
            },
        )
        plans.create_plan(
            session,
            {
                "code": codes["growth"],
                "name": f"Growth {world.suffix}",
                "currency": "EUR",
                "base_fee": "600",
                "prices": {"po_released": "0:0-@0.40", "supplier_chase_sent": "5:0-@0.10"},
            },
        )
    return codes


def event(
    session,
    world: World,
    client: str,
    quantity,
    when: datetime,
    metric: str = "po_released",
    provider: str = "north",
) -> None:
    key = f"{metric}:{uuid.uuid4()}"
    ledger.record_quantity(
        session,
        metric=metric,
        key=key,
        quantity=Decimal(quantity),
        tenant_id=world.orgs[client],
        provider_id=world.orgs[provider],
        occurred_at=when,
        entity_type="purchase_order",
        entity_id=str(uuid.uuid4()),
    )


def known_month(app: Flask, world: World) -> dict[str, str]:
    """The ledger of the module docstring; returns the plan codes."""
    codes = make_plans(app, world)
    with h.service_session(app) as session:
        plans.assign_plan(
            session, world.orgs["north"], codes["basic"], at=datetime(2025, 2, 20, tzinfo=UTC)
        )
        plans.assign_plan(session, world.orgs["north"], codes["growth"], at=CHANGE)
        for quantity, day in ((20, 2), (20, 5), (30, 10)):
            event(session, world, "acme", quantity, at(day))
        event(session, world, "globex", 50, at(10, 23))
        event(session, world, "acme", 10, CHANGE)  # the change's own second: growth's
        event(session, world, "acme", 20, at(30))
        # Outside the month: neither February's nor April's count in March.
        event(session, world, "acme", 999, datetime(2025, 2, 28, 23, 59, 59, tzinfo=UTC))
        event(session, world, "acme", 999, datetime(2025, 4, 1, tzinfo=UTC))
        session.add(
            CreditGrant(
                id=uuid.uuid4(),
                tenant_id=world.orgs["globex"],
                provider_id=world.orgs["north"],
                sla_credit_id=uuid.uuid4(),
                engagement_id=world.engagements["globex-north"],
                month=MARCH,
                amount=Decimal("20.00"),
                currency="EUR",
            )
        )
    return codes
