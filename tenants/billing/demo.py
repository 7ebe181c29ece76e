"""The demo's plans: two, and Northwind on them, from before the demo's history
begins, so the billing pages show months of figures and one plan change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from baton.platform.db import db, utcnow
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.tenants.billing import plans
from baton.tenants.billing.models import Plan
from baton.tenants.models import Organisation

PLANS = [
    {
        "code": "starter-eur",
        "name": "Starter",
        "currency": "EUR",
        "base_fee": "190",
        "prices": {
            "requirement_accepted": "20:0-@0.50",
            "po_released": "20:0-@1.50",
            "po_line_released": "50:0-@0.20",
            "change_order_released": "5:0-@1.00",
            "supplier_chase_sent": "50:0-@0.05",
            "document_storage_gb_month": "5:0-@0.10",
        },
    },
    {
        "code": "growth-eur",
        "name": "Growth",
        "currency": "EUR",
        "base_fee": "490",
        "prices": {
            "requirement_accepted": "100:0-@0.30",
            "po_released": "100:0-1000@0.40,1000-@0.25",
            "po_line_released": "250:0-@0.10",
            "change_order_released": "20:0-@0.50",
            "supplier_chase_sent": "200:0-@0.02",
            "document_storage_gb_month": "50:0-@0.05",
        },
    },
]


def _month_start(moment: datetime, back: int) -> datetime:
    first = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for _ in range(back):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def seed_plans(provider_name: str) -> bool:
    """The plans and the provider's history on them; False when already there."""
    session = db.new_service_session(SERVICE_CONTEXT)
    try:
        if session.scalar(sa.select(Plan.id).where(Plan.code == PLANS[0]["code"])):
            return False
        for data in PLANS:
            plans.create_plan(session, data)
        provider = session.scalar(sa.select(Organisation).where(Organisation.name == provider_name))
        if provider is not None:
            now = utcnow().astimezone(UTC)
            # Starter from six months back; Growth from the 15th of last month,
            # so last month's statement shows the change prorated.
            plans.assign_plan(session, provider.id, "starter-eur", at=_month_start(now, 6))
            plans.assign_plan(
                session, provider.id, "growth-eur", at=_month_start(now, 1).replace(day=15)
            )
        session.commit()
        return True
    finally:
        session.close()
