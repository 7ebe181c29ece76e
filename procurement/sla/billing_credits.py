"""SLA credits become billing credit grants, and so Stripe customer balance
credits (``tenants.billing.credits``): each credit's grants always sum to its
current amount, so a recomputed credit is corrected, never applied twice."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from baton.procurement.sla.models import SlaCredit
from baton.tenants.billing.credits import grant_credit


def grant_for(session: Session, credit: SlaCredit, amount: Decimal | None = None) -> None:
    """Keep the credit's grants at its amount (``amount`` overrides: 0 when it is withdrawn).
    A credit that never had a positive amount, or has no currency, grants nothing."""
    value = credit.amount if amount is None else amount
    if not credit.currency or (value <= 0 and amount is None and not _granted(session, credit)):
        return
    grant_credit(
        session,
        tenant_id=credit.tenant_id,
        provider_id=credit.provider_id,
        sla_credit_id=credit.id,
        engagement_id=credit.engagement_id,
        month=credit.period,
        amount=max(value, Decimal(0)),
        currency=credit.currency,
    )


def _granted(session: Session, credit: SlaCredit) -> bool:
    import sqlalchemy as sa

    from baton.tenants.billing.models import CreditGrant

    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(CreditGrant)
            .where(
                CreditGrant.tenant_id == credit.tenant_id, CreditGrant.sla_credit_id == credit.id
            )
        )
        > 0
    )
