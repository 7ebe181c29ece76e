"""The daily check that Stripe's meters hold what the ledger pushed.

For each provider with a Stripe customer and each metric, Stripe's meter
event summary for the previous UTC day, and for its month up to the end of
that day, is compared with the sum of the ledger's pushed events over the same
time. Every comparison is kept (``Reconciliation``, one row per provider, day,
period and metric, rewritten by a re-run); on any difference the platform
operators get one alert per provider and day. Unpushed events are counted
beside (they are the usual reason Stripe shows less: a push paused or
refused), but are not part of the comparison: Stripe cannot hold them yet.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
import stripe
import structlog
from sqlalchemy.orm import Session

from baton.platform.db import utcnow
from baton.platform.jobs import job
from baton.platform.stripe_client import stripe_client
from baton.tenants.billing.alerts import alert_operators
from baton.tenants.billing.ledger import METRICS
from baton.tenants.billing.models import BillingAccount, UsageEvent
from baton.tenants.billing.push_models import Reconciliation
from baton.tenants.billing.stripe_meters import meter_ids
from baton.tenants.models import Organisation

log = structlog.get_logger("baton.billing.reconcile")

RECONCILE_JOB = "tenants.billing_reconcile"
PERIODS = ("day", "month")
_PLACES = Decimal("0.000001")


@dataclass
class ReconcileResult:
    day: date
    providers: int = 0
    checks: int = 0
    differences: int = 0
    skipped: str | None = None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def bounds(day: date, period: str) -> tuple[datetime, datetime]:
    """[start, end) of the day, or of its month up to the day's end."""
    start = day.replace(day=1) if period == "month" else day
    return _midnight(start), _midnight(day + timedelta(days=1))


def _ledger_sums(
    session: Session, provider_id: uuid.UUID, start: datetime, end: datetime
) -> dict[tuple[str, bool], Decimal]:
    rows = session.execute(
        sa.select(
            UsageEvent.metric,
            UsageEvent.pushed_at.is_not(None),
            sa.func.sum(UsageEvent.quantity),
        )
        .where(
            UsageEvent.provider_id == provider_id,
            UsageEvent.occurred_at >= start,
            UsageEvent.occurred_at < end,
        )
        .group_by(UsageEvent.metric, UsageEvent.pushed_at.is_not(None))
    ).all()
    return {(metric, bool(pushed)): Decimal(total or 0) for metric, pushed, total in rows}


def stripe_total(
    client: stripe.StripeClient, meter_id: str, customer: str, start: datetime, end: datetime
) -> Decimal:
    """Stripe's aggregated value of one meter for one customer over [start, end)."""
    summaries = client.v1.billing.meters.event_summaries.list(
        meter_id,
        params={
            "customer": customer,
            "start_time": int(start.timestamp()),
            "end_time": int(end.timestamp()),
        },
    )
    total = sum(
        (Decimal(str(s.aggregated_value)) for s in summaries.auto_paging_iter()), Decimal(0)
    )
    return total.quantize(_PLACES)


def reconcile_provider(
    session: Session,
    client: stripe.StripeClient,
    meters: dict[str, str],
    account: BillingAccount,
    day: date,
) -> list[Reconciliation]:
    """Compare and keep each metric's figures for the day and the month to date."""
    kept = []
    for period in PERIODS:
        start, end = bounds(day, period)
        sums = _ledger_sums(session, account.provider_id, start, end)
        for metric in METRICS:
            values = {
                "ledger_value": sums.get((metric, True), Decimal(0)).quantize(_PLACES),
                "unpushed_value": sums.get((metric, False), Decimal(0)).quantize(_PLACES),
                "stripe_value": stripe_total(
                    client, meters[metric], account.stripe_customer_id, start, end
                ),
                "checked_at": utcnow(),
            }
            row = session.scalar(
                sa.select(Reconciliation).where(
                    Reconciliation.provider_id == account.provider_id,
                    Reconciliation.day == day,
                    Reconciliation.period == period,
                    Reconciliation.metric == metric,
                )
            )
            if row is None:
                row = Reconciliation(
                    id=uuid.uuid4(),
                    provider_id=account.provider_id,
                    day=day,
                    period=period,
                    metric=metric,
                )
                session.add(row)
            for name, value in values.items():
                setattr(row, name, value)
            kept.append(row)
    session.flush()
    return kept


def _alert(session: Session, account: BillingAccount, day: date, rows: list[Reconciliation]):
    provider = session.get(Organisation, account.provider_id)
    lines = [
        f"{METRICS[r.metric]}, {'the day' if r.period == 'day' else 'the month to date'}:"
        f" Stripe {r.stripe_value.normalize():f}, ledger {r.ledger_value.normalize():f}"
        f" (difference {r.difference.normalize():f}; unpushed {r.unpushed_value.normalize():f})"
        for r in rows
    ]
    log.error(
        "billing_reconciliation_differs",
        provider_id=str(account.provider_id),
        day=day.isoformat(),
        differences=len(rows),
    )
    alert_operators(
        session,
        key=f"billing-reconcile:{account.provider_id}:{day.isoformat()}",
        subject=f"Stripe's usage for {provider.name} differs from the ledger on {day.isoformat()}",
        lines=[
            *lines,
            f"Stripe customer {account.stripe_customer_id}. Nothing was changed; run"
            f" `flask billing reconcile --day {day.isoformat()}` after looking into it.",
        ],
    )


def run(
    session: Session, day: date | None = None, provider_ids: Iterable[uuid.UUID] | None = None
) -> ReconcileResult:
    """Reconcile ``day`` (default: yesterday, UTC) for every provider with a customer."""
    day = day or (utcnow() - timedelta(days=1)).date()
    result = ReconcileResult(day=day)
    client = stripe_client()
    if client is None:
        result.skipped = "no Stripe key"
        return result
    meters = meter_ids(client)
    stmt = sa.select(BillingAccount).where(BillingAccount.stripe_customer_id.is_not(None))
    if provider_ids is not None:
        stmt = stmt.where(BillingAccount.provider_id.in_(list(provider_ids)))
    for account in session.scalars(stmt.order_by(BillingAccount.provider_id)).all():
        rows = reconcile_provider(session, client, meters, account, day)
        differing = [r for r in rows if not r.agrees]
        result.providers += 1
        result.checks += len(rows)
        result.differences += len(differing)
        if differing:
            _alert(session, account, day, differing)
    log.info(
        "billing_reconciled",
        day=day.isoformat(),
        providers=result.providers,
        differences=result.differences,
    )
    return result


def reconciliations(
    session: Session,
    *,
    day: date | None = None,
    provider_id: uuid.UUID | None = None,
    differences_only: bool = False,
) -> list[Reconciliation]:
    """The kept comparisons, newest day first (the operators' page reads these)."""
    stmt = sa.select(Reconciliation)
    if day is not None:
        stmt = stmt.where(Reconciliation.day == day)
    if provider_id is not None:
        stmt = stmt.where(Reconciliation.provider_id == provider_id)
    if differences_only:
        stmt = stmt.where(Reconciliation.stripe_value != Reconciliation.ledger_value)
    return list(
        session.scalars(
            stmt.order_by(
                Reconciliation.day.desc(),
                Reconciliation.provider_id,
                Reconciliation.period,
                Reconciliation.metric,
            )
        )
    )


def latest_status(session: Session, provider_id: uuid.UUID) -> tuple[date, int] | None:
    """The last day checked for the provider and how many figures differed then."""
    day = session.scalar(
        sa.select(sa.func.max(Reconciliation.day)).where(Reconciliation.provider_id == provider_id)
    )
    if day is None:
        return None
    return day, len(
        reconciliations(session, day=day, provider_id=provider_id, differences_only=True)
    )


@job(
    RECONCILE_JOB,
    queue="low",
    label="Reconcile Stripe's usage with the ledger",
    cross_tenant=True,
    timeout=1800,
)
def reconcile_usage(session: Session, payload: dict) -> None:
    if payload.get("day"):
        day = date.fromisoformat(payload["day"])
    elif payload.get("slot"):
        # The run at 03:10 UTC checks the day that ended three hours before.
        day = (datetime.fromisoformat(payload["slot"]).astimezone(UTC) - timedelta(days=1)).date()
    else:
        day = None
    run(session, day)
