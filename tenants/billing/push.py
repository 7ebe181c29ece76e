"""Pushing the usage ledger to Stripe's Billing Meters.

Every minute a cross-tenant job (it reads every provider's usage) claims the
oldest unpushed usage events in batches (``FOR UPDATE SKIP LOCKED``: two
workers never take the same rows), makes sure each provider has a Stripe
customer, and posts one meter event per usage event:

* ``identifier`` is the ledger key and the idempotency key is
  ``meter-event:<key>``, so a batch posted again after a worker died half way
  (its transaction rolled back, ``pushed_at`` unset) is replayed by Stripe or
  refused as a duplicate identifier, and never counted twice;
* ``timestamp`` is when the act happened, ``value`` the quantity as a decimal
  string (GB-months have six places; counts are whole numbers);
* 5xx answers are retried inside the library (``platform/stripe_client.py``);
  a 429 stops the batch: what was accepted is marked pushed, the rest waits,
  and no run starts before ``Retry-After`` has passed (``PushPause``);
* an event Stripe refuses (400: older than its 35 days, say) is counted in
  ``push_attempts`` and left for people after ``MAX_REFUSALS``; the daily
  reconciliation shows it as unpushed.

Posts go out over a few threads sharing the client's keep-alive connections
(one HTTP round trip per event is the meter-event API's shape): that is what
keeps up with 1,000 events a second (bench/billing.py).

Without a Stripe key (the embedded mode) the job does nothing and the rows
stay unpushed; ``pending_push`` tells the billing page what would be pushed.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
import stripe
import structlog
from sqlalchemy.orm import Session

from baton.platform.db import db, utcnow
from baton.platform.jobs import job
from baton.platform.stripe_client import pushing_enabled, stripe_client
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.tenants.billing.accounts import ensure_customer
from baton.tenants.billing.ledger import METRICS
from baton.tenants.billing.models import UsageEvent
from baton.tenants.billing.push_models import PushPause
from baton.tenants.billing.stripe_meters import event_name, forget, meter_ids

log = structlog.get_logger("baton.billing.push")

PUSH_JOB = "tenants.billing_push"
PAUSE = "meter_events"
BATCH = 500
THREADS = 8
# A run stops taking new batches after this long; the next minute's run goes on.
RUN_SECONDS = 45
# Refused this often (400), an event is left for people (the reconciliation shows it).
MAX_REFUSALS = 3
DEFAULT_RETRY_AFTER = 30


class StripeUnavailable(Exception):
    """Stripe kept failing after the library's own retries: RQ retries the job."""


@dataclass
class PushResult:
    pushed: int = 0
    refused: int = 0
    batches: int = 0
    paused_until: datetime | None = None
    skipped: str | None = None
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Pending:
    """Unpushed usage of one metric (what the billing page says would be pushed)."""

    metric: str
    label: str
    events: int
    quantity: Decimal
    oldest: datetime | None


def meter_value(quantity: Decimal) -> str:
    """``Decimal("10.000000")`` -> ``"10"``; ``0.012500`` -> ``"0.0125"`` (never ``1E+1``)."""
    text = format(quantity.normalize(), "f")
    return text if text not in ("-0", "") else "0"


def pending_push(session: Session, provider_id: uuid.UUID) -> list[Pending]:
    """The provider's usage not yet in Stripe, per metric, in the ledger's order."""
    rows = session.execute(
        sa.select(
            UsageEvent.metric,
            sa.func.count(),
            sa.func.sum(UsageEvent.quantity),
            sa.func.min(UsageEvent.occurred_at),
        )
        .where(UsageEvent.provider_id == provider_id, UsageEvent.pushed_at.is_(None))
        .group_by(UsageEvent.metric)
    ).all()
    found = {metric: (count, Decimal(total or 0), oldest) for metric, count, total, oldest in rows}
    return [
        Pending(metric, label, *found[metric])
        for metric, label in METRICS.items()
        if metric in found
    ]


def paused_until(session: Session, now: datetime) -> datetime | None:
    pause = session.get(PushPause, PAUSE)
    return pause.paused_until if pause is not None and pause.paused_until > now else None


def _pause(session: Session, until: datetime, reason: str) -> None:
    pause = session.get(PushPause, PAUSE, with_for_update=True)
    if pause is None:
        session.add(PushPause(name=PAUSE, paused_until=until, reason=reason[:200]))
    elif pause.paused_until < until:
        pause.paused_until, pause.reason, pause.updated_at = until, reason[:200], utcnow()


def claim(
    session: Session, limit: int, provider_ids: Iterable[uuid.UUID] | None = None
) -> list[UsageEvent]:
    """The oldest unpushed events, locked; rows another worker holds are skipped."""
    stmt = (
        sa.select(UsageEvent)
        .where(UsageEvent.pushed_at.is_(None), UsageEvent.push_attempts < MAX_REFUSALS)
        .order_by(UsageEvent.occurred_at)
        .limit(limit)
    )
    if provider_ids is not None:
        stmt = stmt.where(UsageEvent.provider_id.in_(list(provider_ids)))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


@dataclass
class _Outcome:
    status: str  # pushed, refused, rate_limited, failed, skipped
    detail: str = ""
    retry_after: int | None = None


def _post(client: stripe.StripeClient, event: dict, stop: threading.Event) -> _Outcome:
    if stop.is_set():
        return _Outcome("skipped")
    try:
        client.v1.billing.meter_events.create(
            params=event["params"], options={"idempotency_key": event["idempotency_key"]}
        )
        return _Outcome("pushed")
    except stripe.RateLimitError as exc:
        stop.set()
        return _Outcome("rate_limited", str(exc), _retry_after(exc))
    except stripe.InvalidRequestError as exc:
        if exc.code == "duplicate_meter_event":
            # Counted by Stripe already (an earlier push whose answer was lost).
            return _Outcome("pushed", "duplicate identifier")
        return _Outcome("refused", exc.user_message or str(exc))
    except stripe.StripeError as exc:
        stop.set()
        return _Outcome("failed", f"{type(exc).__name__}: {exc.user_message or exc}")


def _retry_after(exc: stripe.StripeError) -> int:
    headers = exc.headers or {}
    raw = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        return max(1, int(float(raw)))
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER


def _meter_event(usage: UsageEvent, customer: str) -> dict:
    return {
        "params": {
            "event_name": event_name(usage.metric),
            "identifier": usage.key,
            "timestamp": int(usage.occurred_at.timestamp()),
            "payload": {"stripe_customer_id": customer, "value": meter_value(usage.quantity)},
        },
        "idempotency_key": f"meter-event:{usage.key}",
    }


def push_batch(
    session: Session,
    client: stripe.StripeClient,
    pool: ThreadPoolExecutor,
    result: PushResult,
    provider_ids: Iterable[uuid.UUID] | None,
    batch: int,
) -> bool:
    """Claim and post one batch in ``session`` (the caller commits); False when
    there is nothing more to do now."""
    rows = claim(session, batch, provider_ids)
    if not rows:
        return False
    result.batches += 1
    try:
        customers = _customers({r.provider_id for r in rows})
    except stripe.RateLimitError as exc:
        _stop_for_rate_limit(session, result, _retry_after(exc), str(exc))
        return False
    stop = threading.Event()
    events = [_meter_event(r, customers[r.provider_id]) for r in rows]
    outcomes = list(pool.map(lambda e: _post(client, e, stop), events))
    now = utcnow()
    for usage, outcome in zip(rows, outcomes, strict=True):
        if outcome.status == "pushed":
            usage.pushed_at = now
            result.pushed += 1
        elif outcome.status == "refused":
            usage.push_attempts += 1
            result.refused += 1
            log.error("meter_event_refused", key=usage.key, error=outcome.detail)
    limited = [o for o in outcomes if o.status == "rate_limited"]
    if limited:
        wait = max(o.retry_after or DEFAULT_RETRY_AFTER for o in limited)
        _stop_for_rate_limit(session, result, wait, limited[0].detail)
        return False
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        result.errors.append(failed[0].detail)
        return False
    if any(o.status == "refused" and "event_name" in o.detail for o in outcomes):
        forget()  # a meter went missing: list (and create) them again next run
    return True


def _customers(provider_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each provider's Stripe customer, each in a short transaction of its own so
    the account's lock is not held while the batch is posted."""
    found = {}
    for provider_id in sorted(provider_ids):
        with db.new_service_session(SERVICE_CONTEXT) as session:
            found[provider_id] = ensure_customer(session, provider_id)
            session.commit()
    return found


def _stop_for_rate_limit(session: Session, result: PushResult, seconds: int, why: str) -> None:
    until = utcnow() + timedelta(seconds=seconds)
    _pause(session, until, f"429 from Stripe: {why}")
    result.paused_until = until
    log.warning("meter_push_rate_limited", retry_after=seconds, until=until.isoformat())


def run(
    provider_ids: Iterable[uuid.UUID] | None = None,
    *,
    batch: int = BATCH,
    seconds: float = RUN_SECONDS,
    threads: int = THREADS,
) -> PushResult:
    """Push what is due, batch by batch, each batch in its own transaction.

    ``provider_ids`` limits the push to some providers (tests, the bench).
    Raises ``StripeUnavailable`` when Stripe kept failing, after committing
    what it did accept, so the job is retried with backoff.
    """
    result = PushResult()
    if not pushing_enabled():
        result.skipped = "pushing disabled (no Stripe key)"
        return result
    client = stripe_client()
    provider_ids = list(provider_ids) if provider_ids is not None else None
    with db.new_service_session(SERVICE_CONTEXT) as session:
        until = paused_until(session, utcnow())
    if until is not None:
        result.skipped, result.paused_until = "paused after a 429", until
        return result
    meter_ids(client)
    deadline = time.monotonic() + seconds
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="meter-push") as pool:
        more = True
        while more and time.monotonic() < deadline:
            session = db.new_service_session(SERVICE_CONTEXT)
            try:
                more = push_batch(session, client, pool, result, provider_ids, batch)
                session.commit()
            finally:
                session.close()
    log.info(
        "meter_push_done",
        pushed=result.pushed,
        refused=result.refused,
        batches=result.batches,
        paused_until=result.paused_until.isoformat() if result.paused_until else None,
    )
    if result.errors:
        raise StripeUnavailable(result.errors[0])
    return result


@job(PUSH_JOB, queue="default", label="Push usage to Stripe", cross_tenant=True, timeout=300)
def push_usage(session: Session, payload: dict) -> None:
    run()
