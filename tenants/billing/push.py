"""Pushing the usage ledger to Stripe's Billing Meters, on the v2 meter event stream.

Every minute a cross-tenant job (it reads every provider's usage) claims the
oldest unpushed usage events in batches (``FOR UPDATE SKIP LOCKED``: two
workers never take the same rows), makes sure each provider has a Stripe
customer, and posts the batch as chunks of 100 events over a few threads
(``meter_stream.py``: session token, refresh, idempotency key per chunk):

* ``identifier`` is the ledger key, and each chunk's idempotency key is
  derived from its identifiers, so a batch posted again after a worker died
  half way (its transaction rolled back, ``pushed_at`` unset) is replayed by
  Stripe or deduplicated on the identifiers, and never counted twice;
* ``timestamp`` is when the act happened (RFC 3339), ``value`` the quantity
  as a decimal string (GB-months have six places; counts are whole numbers);
* 5xx answers are retried inside the library (``platform/stripe_client.py``),
  then the job raises ``StripeUnavailable`` and RQ retries it; a 429 stops the
  batch: what was accepted is marked pushed, the rest waits, and no run starts
  before ``Retry-After`` has passed (``PushPause``);
* the stream validates events after answering, so a refused event never
  comes back here: Stripe reports it (``v1.billing.meter.error_report_triggered``),
  ``meter_errors.py`` un-pushes and flags the rows it names, and the daily
  reconciliation (``reconcile.py``) shows any it does not name. A
  chunk refused as a whole (400) counts one in ``push_attempts`` of its rows,
  which are left for people after ``MAX_REFUSALS``.

What Stripe accepted is marked with one UPDATE per batch, so a batch costs
the same few statements however many events it carries.

Without a Stripe key (the embedded mode) the job does nothing and the rows
stay unpushed; ``pending_push`` tells the billing page what would be pushed.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Collection, Iterable, Sequence
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
from baton.platform.stripe_client import meter_events_base, pushing_enabled, stripe_client
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.tenants.billing.accounts import ensure_customer
from baton.tenants.billing.ledger import METRICS
from baton.tenants.billing.meter_stream import CHUNK, MeterStream, meter_stream, rfc3339
from baton.tenants.billing.models import BillingAccount, UsageEvent
from baton.tenants.billing.push_models import PushPause
from baton.tenants.billing.stripe_meters import event_name, meter_ids

log = structlog.get_logger("baton.billing.push")

PUSH_JOB = "tenants.billing_push"
PAUSE = "meter_events"
# Rows claimed (and committed) together: ten chunks, so eight threads stay busy.
BATCH = 1000
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
    session: Session,
    limit: int,
    provider_ids: Iterable[uuid.UUID] | None = None,
    passed_over: Collection[uuid.UUID] = (),
) -> Sequence[sa.Row]:
    """The oldest unpushed events (the columns a meter event needs), locked;
    rows another worker holds are skipped, and so are ``passed_over``."""
    stmt = (
        sa.select(
            UsageEvent.id,
            UsageEvent.key,
            UsageEvent.metric,
            UsageEvent.quantity,
            UsageEvent.occurred_at,
            UsageEvent.provider_id,
        )
        .where(UsageEvent.pushed_at.is_(None), UsageEvent.push_attempts < MAX_REFUSALS)
        .order_by(UsageEvent.occurred_at)
        .limit(limit)
    )
    if provider_ids is not None:
        stmt = stmt.where(UsageEvent.provider_id.in_(list(provider_ids)))
    if passed_over:
        stmt = stmt.where(UsageEvent.id.not_in(list(passed_over)))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return session.execute(stmt).all()


@dataclass
class _Outcome:
    status: str  # pushed, refused, rate_limited, failed, skipped
    detail: str = ""
    retry_after: int | None = None


def _post(stream: MeterStream, events: list[dict], stop: threading.Event) -> _Outcome:
    if stop.is_set():
        return _Outcome("skipped")
    try:
        stream.send(events)
        return _Outcome("pushed")
    except stripe.RateLimitError as exc:
        stop.set()
        return _Outcome("rate_limited", str(exc), _retry_after(exc))
    except stripe.InvalidRequestError as exc:
        # The whole request was refused (malformed); the other chunks go on.
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


def meter_event(row: sa.Row, customer: str) -> dict:
    """One usage event as the stream takes it."""
    return {
        "event_name": event_name(row.metric),
        "identifier": row.key,
        "timestamp": rfc3339(row.occurred_at),
        "payload": {"stripe_customer_id": customer, "value": meter_value(row.quantity)},
    }


def _mark(session: Session, ids: list[uuid.UUID], **values) -> None:
    if ids:
        session.execute(
            sa.update(UsageEvent)
            .where(UsageEvent.id.in_(ids))
            .values(**values)
            .execution_options(synchronize_session=False)
        )


@dataclass
class _Push:
    """One run's state: the stream, the thread pool, what it found and did."""

    stream: MeterStream
    pool: ThreadPoolExecutor
    result: PushResult
    provider_ids: list[uuid.UUID] | None
    batch: int
    customers: dict[uuid.UUID, str] = field(default_factory=dict)
    # Refused in this run: one refusal per run, so three runs before giving up.
    refused: set[uuid.UUID] = field(default_factory=set)

    def one_batch(self, session: Session) -> bool:
        """Claim and post one batch in ``session`` (the caller commits); False
        when there is nothing more to do now."""
        rows = claim(session, self.batch, self.provider_ids, self.refused)
        if not rows:
            return False
        self.result.batches += 1
        try:
            self._know_customers(session, {r.provider_id for r in rows})
        except stripe.RateLimitError as exc:
            _stop_for_rate_limit(session, self.result, _retry_after(exc), str(exc))
            return False
        chunks = [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)]
        stop = threading.Event()
        bodies = [[meter_event(r, self.customers[r.provider_id]) for r in c] for c in chunks]
        outcomes = list(self.pool.map(lambda events: _post(self.stream, events, stop), bodies))
        pushed = [
            r.id for c, o in zip(chunks, outcomes, strict=True) if o.status == "pushed" for r in c
        ]
        refused = [
            r.id for c, o in zip(chunks, outcomes, strict=True) if o.status == "refused" for r in c
        ]
        _mark(session, pushed, pushed_at=utcnow())
        _mark(session, refused, push_attempts=UsageEvent.push_attempts + 1)
        self.result.pushed += len(pushed)
        self.result.refused += len(refused)
        self.refused.update(refused)
        for o in outcomes:
            if o.status == "refused":
                log.error("meter_events_refused", error=o.detail)
        limited = [o for o in outcomes if o.status == "rate_limited"]
        if limited:
            wait = max(o.retry_after or DEFAULT_RETRY_AFTER for o in limited)
            _stop_for_rate_limit(session, self.result, wait, limited[0].detail)
            return False
        failed = [o for o in outcomes if o.status == "failed"]
        if failed:
            self.result.errors.append(failed[0].detail)
            return False
        return True

    def _know_customers(self, session: Session, provider_ids: set[uuid.UUID]) -> None:
        missing = provider_ids - self.customers.keys()
        if not missing:
            return
        # One read for the batch's providers; the few without a customer yet get
        # one, each in a short transaction of its own, so the account's lock is
        # not held while the batch is posted.
        self.customers.update(
            session.execute(
                sa.select(BillingAccount.provider_id, BillingAccount.stripe_customer_id).where(
                    BillingAccount.provider_id.in_(missing),
                    BillingAccount.stripe_customer_id.is_not(None),
                )
            ).all()
        )
        for provider_id in sorted(missing - self.customers.keys()):
            with db.new_service_session(SERVICE_CONTEXT) as own:
                self.customers[provider_id] = ensure_customer(own, provider_id)
                own.commit()


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
    with db.new_service_session(SERVICE_CONTEXT) as session:
        until = paused_until(session, utcnow())
    if until is not None:
        result.skipped, result.paused_until = "paused after a 429", until
        return result
    meter_ids(client)
    deadline = time.monotonic() + seconds
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="meter-push") as pool:
        push = _Push(
            meter_stream(client, meter_events_base()),
            pool,
            result,
            list(provider_ids) if provider_ids is not None else None,
            batch,
        )
        more = True
        while more and time.monotonic() < deadline:
            session = db.new_service_session(SERVICE_CONTEXT)
            try:
                more = push.one_batch(session)
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
