"""SLA credits: what a month's missed targets cost the provider.

Where an engagement sets a credit on a target (a percentage of the month's
fee) and a monthly fee, each target missed that month adds its percentage;
the sum is capped by the engagement's cap. A target is missed when its
compliance (the owner's own time, docs/sla.md) is under the promised
percentage; a target with nothing judged that month is not missed. The
figure is recomputed whenever the month's figures are (late events move
it), and recorded in ``sla_credits`` for billing to apply once the month
is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.db import utcnow
from baton.procurement.sla import billing_credits
from baton.procurement.sla.models import SlaCredit, SlaMonthly

# Which monthly row a target reads.
TARGET_METRIC = {
    "handoff_to_release": "handoff_to_release",
    "acknowledgement": "acknowledgement",
    "otif": "delivery",
    "client_answer": "client_answer",
    "issue_answer": "issue_answer",
}
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Standing:
    metric: str
    target_percent: Decimal
    # On all time (what the client experienced) and on the owner's own time.
    actual_percent: Decimal | None
    compliance_percent: Decimal | None
    judged: int

    @property
    def missed(self) -> bool:
        return self.compliance_percent is not None and self.compliance_percent < self.target_percent


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def standing(targets: dict, monthly: dict[str, SlaMonthly]) -> list[Standing]:
    """Each target against one month's figures (``monthly``: metric -> its row)."""
    found = []
    for name, target in targets.items():
        row = monthly.get(TARGET_METRIC[name])
        judged = row.judged if row else 0
        found.append(
            Standing(
                metric=name,
                target_percent=target.percent,
                actual_percent=_percent(row.within, judged) if row else None,
                compliance_percent=_percent(judged - row.owner_missed, judged) if row else None,
                judged=judged,
            )
        )
    return found


def compute(session: Session, scope, period: date) -> SlaCredit | None:
    """Recompute and record one engagement's credit for ``period`` (None: no fee set)."""
    if scope is None:
        return None
    if not any(t.credit_percent > 0 for t in scope.targets.values()):
        # No credit promised (any more): nothing to record, and nothing left over;
        # what was already granted to Stripe is corrected back to zero.
        for gone in session.scalars(
            sa.select(SlaCredit).where(
                SlaCredit.tenant_id == scope.tenant_id,
                SlaCredit.engagement_id == scope.engagement_id,
                SlaCredit.period == period,
            )
        ):
            billing_credits.grant_for(session, gone, Decimal(0))
        session.execute(
            sa.delete(SlaCredit).where(
                SlaCredit.tenant_id == scope.tenant_id,
                SlaCredit.engagement_id == scope.engagement_id,
                SlaCredit.period == period,
            )
        )
        return None
    rows = {
        r.metric: r
        for r in session.scalars(
            sa.select(SlaMonthly).where(
                SlaMonthly.tenant_id == scope.tenant_id,
                SlaMonthly.engagement_id == scope.engagement_id,
                SlaMonthly.period == period,
                SlaMonthly.cause == "",
            )
        )
    }
    missed = []
    total = Decimal(0)
    for s in standing(scope.targets, rows):
        credit = scope.targets[s.metric].credit_percent
        if s.missed and credit > 0:
            total += credit
            missed.append(
                {
                    "metric": s.metric,
                    "target_percent": str(s.target_percent),
                    "compliance_percent": str(s.compliance_percent),
                    "credit_percent": str(credit),
                }
            )
    if scope.credit_cap_percent is not None:
        total = min(total, Decimal(scope.credit_cap_percent))
    fee = Decimal(scope.monthly_fee) if scope.monthly_fee is not None else None
    amount = (fee * total / HUNDRED).quantize(Decimal("0.01"), ROUND_HALF_UP) if fee else Decimal(0)
    credit = session.scalar(
        sa.select(SlaCredit).where(
            SlaCredit.tenant_id == scope.tenant_id,
            SlaCredit.engagement_id == scope.engagement_id,
            SlaCredit.period == period,
        )
    )
    if credit is None:
        if not missed:
            return None
        credit = SlaCredit(
            tenant_id=scope.tenant_id,
            provider_id=scope.provider_id,
            engagement_id=scope.engagement_id,
            period=period,
        )
        session.add(credit)
    credit.missed = missed
    credit.credit_percent = total
    credit.fee = fee
    credit.amount = amount
    credit.currency = scope.fee_currency
    credit.computed_at = utcnow()
    session.flush()
    billing_credits.grant_for(session, credit)
    return credit
