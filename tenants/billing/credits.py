"""SLA credits passed to Stripe: each once, as a customer balance credit.

``grant_credit`` is called wherever a credit is (re)computed (the SLA
rollup, through ``procurement/sla/billing_credits``). It keeps the grants of
one SLA credit summing to the credit's current amount: the first grant is
the amount; a recomputation that changes it adds a *correcting* grant for
the difference (negative when the credit went down), numbered by ``seq``. A
grant, once made, never changes, so what was applied to Stripe stays true
and the correction is a new balance transaction of its own.

Each grant is applied by ``billing.apply_credit``: a customer balance
transaction (negative = credit, in the currency's minor units) with the
idempotency key ``sla-credit:<grant id>``, so a retried or repeated job
gets Stripe's first answer back and the customer is credited once. In the
embedded mode (no Stripe) grants are recorded and never applied.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform import audit
from baton.platform.db import utcnow
from baton.platform.jobs import job
from baton.platform.outbox import emit
from baton.platform.stripe_client import stripe_client
from baton.tenants.billing.accounts import ensure_customer
from baton.tenants.billing.models import CreditGrant
from baton.tenants.models import Organisation

APPLY_JOB = "billing.apply_credit"
# ISO 4217 currencies Stripe takes in whole units (its "zero-decimal" list).
ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)


def minor_units(amount: Decimal, currency: str) -> int:
    exponent = 0 if currency.upper() in ZERO_DECIMAL else 2
    return int((amount * (10**exponent)).to_integral_value())


def grant_credit(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    provider_id: uuid.UUID,
    sla_credit_id: uuid.UUID,
    engagement_id: uuid.UUID,
    month: date,
    amount: Decimal,
    currency: str,
) -> CreditGrant | None:
    """Bring the credit's grants to ``amount``; the new grant, or None if nothing changed."""
    grants = session.scalars(
        sa.select(CreditGrant)
        .where(CreditGrant.tenant_id == tenant_id, CreditGrant.sla_credit_id == sla_credit_id)
        .order_by(CreditGrant.seq)
    ).all()
    difference = Decimal(amount) - sum((g.amount for g in grants), Decimal(0))
    if difference == 0:
        return None
    if grants and grants[-1].currency != currency:
        raise ValueError("an SLA credit cannot change currency once granted")
    grant = CreditGrant(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        provider_id=provider_id,
        sla_credit_id=sla_credit_id,
        engagement_id=engagement_id,
        month=month,
        seq=len(grants) + 1,
        amount=difference,
        currency=currency,
    )
    session.add(grant)
    session.flush([grant])
    audit.record(
        session,
        tenant_id=tenant_id,
        provider_id=provider_id,
        action="credit_grant.granted" if grant.seq == 1 else "credit_grant.corrected",
        entity_type="credit_grant",
        entity_id=grant.id,
        changes={
            "amount": [None, difference],
            "currency": [None, currency],
            "seq": [None, grant.seq],
        },
    )
    emit(
        session,
        APPLY_JOB,
        {"grant_id": str(grant.id)},
        about=grant,
        dedup_key=f"sla-credit:{grant.id}",
    )
    return grant


def _description(session: Session, grant: CreditGrant) -> str:
    client = session.get(Organisation, grant.tenant_id)
    name = client.name if client is not None else str(grant.tenant_id)
    correction = " (correction)" if grant.seq > 1 else ""
    return f"SLA credit {name} {grant.month:%Y-%m}{correction}"


@job(
    APPLY_JOB,
    label="Pass an SLA credit to Stripe",
    entity=lambda p: ("credit_grant", p["grant_id"]),
)
def apply_credit(session: Session, payload: dict) -> None:
    client = stripe_client()
    grant = session.scalar(
        sa.select(CreditGrant)
        .where(CreditGrant.id == uuid.UUID(payload["grant_id"]))
        .with_for_update()
    )
    if grant is None or grant.applied_at is not None or client is None:
        return
    customer = ensure_customer(session, grant.provider_id)
    transaction = client.v1.customers.balance_transactions.create(
        customer,
        params={
            # Negative: money Stripe takes off the customer's next invoices.
            "amount": -minor_units(grant.amount, grant.currency),
            "currency": grant.currency.lower(),
            "description": _description(session, grant),
            "metadata": {
                "baton_credit_grant_id": str(grant.id),
                "baton_sla_credit_id": str(grant.sla_credit_id),
                "baton_client_id": str(grant.tenant_id),
            },
        },
        options={"idempotency_key": f"sla-credit:{grant.id}"},
    )
    grant.stripe_transaction_id = transaction.id
    grant.applied_at = utcnow()
    audit.record(
        session,
        tenant_id=grant.tenant_id,
        provider_id=grant.provider_id,
        action="credit_grant.applied",
        entity_type="credit_grant",
        entity_id=grant.id,
        changes={"stripe_transaction_id": [None, transaction.id]},
    )
