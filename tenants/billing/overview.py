"""The platform operator's view of every provider: plan, this month's usage, MRR, status.

MRR here is the month's recurring revenue as the statements compute it: the
base fee (prorated over the month's plan periods) plus the usage amount so
far, in each plan's currency (never converted: each row says its currency).
SLA credits are shown beside it, not netted. ``refused`` counts the usage
events Stripe refused after taking them (``meter_errors``), whenever they
happened: they wait for a person. A constant number of reads for all
providers together.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.tenants.billing.models import BillingAccount, Plan, UsageEvent
from baton.tenants.billing.statements import (
    Statement,
    bounds,
    build,
    load_credits,
    load_names,
    load_periods,
    load_usage,
)
from baton.tenants.models import Organisation


@dataclass
class ProviderRow:
    provider_id: uuid.UUID
    name: str
    slug: str
    plan: Plan | None
    account: BillingAccount | None
    statement: Statement
    refused: int = 0

    @property
    def status(self) -> str:
        return self.account.status if self.account else "none"

    @property
    def past_due_since(self) -> datetime | None:
        return self.account.past_due_since if self.account else None

    @property
    def mrr(self) -> Decimal:
        return self.statement.base_amount + self.statement.usage_amount


def providers_overview(
    session: Session, month: date, *, now: datetime | None = None
) -> list[ProviderRow]:
    start, end = bounds(month)
    providers = session.execute(
        sa.select(Organisation.id, Organisation.name, Organisation.slug)
        .where(Organisation.kind == "provider")
        .order_by(Organisation.name)
    ).all()
    accounts = {
        account.provider_id: (account, plan)
        for account, plan in session.execute(
            sa.select(BillingAccount, Plan).outerjoin(Plan, Plan.id == BillingAccount.plan_id)
        )
    }
    periods = load_periods(session, start, end)
    usage = load_usage(session, start, end)
    credits = load_credits(session, month)
    names = load_names(session, [c.tenant_id for c in credits] + [r.client_id for r in usage])
    refused = dict(
        session.execute(
            sa.select(UsageEvent.provider_id, sa.func.count())
            .where(UsageEvent.push_error.is_not(None))
            .group_by(UsageEvent.provider_id)
        ).all()
    )
    rows = []
    for provider_id, name, slug in providers:
        account, plan = accounts.get(provider_id, (None, None))
        statement = build(
            provider_id,
            month,
            periods.get(provider_id, []),
            [r for r in usage if r.provider_id == provider_id],
            [c for c in credits if c.provider_id == provider_id],
            names,
            now,
        )
        rows.append(
            ProviderRow(
                provider_id, name, slug, plan, account, statement, refused.get(provider_id, 0)
            )
        )
    return rows
