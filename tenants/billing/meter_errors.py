"""Stripe's meter error reports: usage it took on the stream, then refused.

The v2 meter event stream answers 202 before it validates the events, so a
refused event (no such customer, a bad value, too old, ...) never comes back
to the push, which has marked its row pushed. Stripe reports such events
afterwards, per meter and validation window, with a thin event
(``v1.billing.meter.error_report_triggered``) on a v2 event destination.
The webhook job (``webhooks.stripe_event``) hands it here; this module:

* fetches the event's data from Stripe (a thin event carries none):
  ``reason.error_types``, each with its code, count and some sample errors
  naming the meter event's ``identifier``, which is the ledger key;
* flags the ledger rows the samples name: unpushed again (so nothing counts
  them as in Stripe), ``push_attempts`` at ``MAX_REFUSALS`` (so the push
  leaves them for people instead of sending them again and again), and the
  reason in ``push_error``; each flag is audited in the provider's chain;
* audits the report in the platform's chain and alerts the operators once
  per event, naming the meter, the window, the codes, the flagged keys and
  how many refused events Stripe's samples did not name (the daily
  reconciliation shows those as a difference on the meter).

A second delivery of the same event stops at ``StripeEvent`` (the caller);
flagging a row already flagged changes nothing either.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
import structlog
from sqlalchemy.orm import Session

from baton.platform import audit
from baton.platform.stripe_client import stripe_client
from baton.tenants.billing.alerts import alert_operators
from baton.tenants.billing.ledger import METRICS
from baton.tenants.billing.models import StripeEvent, UsageEvent
from baton.tenants.billing.plans import PLATFORM_CHAIN
from baton.tenants.billing.push import MAX_REFUSALS
from baton.tenants.billing.stripe_meters import meter_ids
from baton.tenants.models import Organisation

log = structlog.get_logger("baton.billing.meter_errors")

ERROR_REPORT = "v1.billing.meter.error_report_triggered"
# Keys named in the alert; the rest are counted (the audit has them all).
KEYS_IN_ALERT = 20


@dataclass
class Report:
    """What one error report says, and what it matched in the ledger."""

    meter: str
    metric: str | None
    start: str
    end: str
    total: int
    # (code, count) per error type, as Stripe gives them.
    codes: list[tuple[str, int]] = field(default_factory=list)
    # identifier -> "code: message", from the sample errors.
    samples: dict[str, str] = field(default_factory=dict)
    flagged: list[UsageEvent] = field(default_factory=list)

    @property
    def unidentified(self) -> int:
        return max(0, self.total - len(self.flagged))


def is_thin(event: dict) -> bool:
    return event.get("object") == "v2.core.event"


def fetch_data(event: dict) -> dict:
    """The event's ``data``, from Stripe (``GET /v2/core/events/<id>``)."""
    client = stripe_client()
    notification = client.parse_event_notification_without_verification(json.dumps(event))
    return notification.fetch_event().to_dict().get("data") or {}


def read_report(event: dict, data: dict) -> Report:
    reason = data.get("reason") or {}
    meter = ((event.get("related_object") or {}).get("id")) or ""
    report = Report(
        meter=meter,
        metric=_metric_of(meter),
        start=str(data.get("validation_start") or ""),
        end=str(data.get("validation_end") or ""),
        total=int(reason.get("error_count") or 0),
    )
    for kind in reason.get("error_types") or []:
        code = str(kind.get("code") or "unknown")
        report.codes.append((code, int(kind.get("error_count") or 0)))
        for sample in kind.get("sample_errors") or []:
            identifier = (sample.get("request") or {}).get("identifier")
            if identifier:
                report.samples[identifier] = f"{code}: {sample.get('error_message') or ''}"[:200]
    if not report.total:
        report.total = sum(count for _, count in report.codes)
    return report


def _metric_of(meter: str) -> str | None:
    client = stripe_client()
    if client is None or not meter:
        return None
    return next((m for m, mid in meter_ids(client).items() if mid == meter), None)


def apply(session: Session, stored: StripeEvent, event: dict) -> str:
    """Flag, audit and alert for one thin event; the outcome to store."""
    if event.get("type") != ERROR_REPORT:
        return "thin event not handled"
    if stripe_client() is None:
        return "no Stripe key: the event's data could not be fetched"
    data = fetch_data(event)
    # Kept for the person who looks into it: the thin payload says nothing.
    stored.payload = {**event, "data": data}
    report = read_report(event, data)
    _flag(session, report, event["id"])
    audit.record(
        session,
        tenant_id=PLATFORM_CHAIN,
        action="billing.meter_errors_reported",
        entity_type="stripe_event",
        entity_id=event["id"],
        changes={
            "meter": [None, report.meter],
            "window": [None, f"{report.start} - {report.end}"],
            "errors": [None, dict(report.codes)],
            "flagged": [None, sorted(row.key for row in report.flagged)],
        },
    )
    log.error(
        "stripe_refused_meter_events",
        event_id=event["id"],
        meter=report.meter,
        errors=report.total,
        flagged=len(report.flagged),
    )
    _alert(session, report, event["id"])
    return (
        f"{report.total} refused on {report.metric or report.meter};"
        f" {len(report.flagged)} flagged, {report.unidentified} not identified"
    )


def _flag(session: Session, report: Report, event_id: str) -> None:
    if not report.samples:
        return
    query = sa.select(UsageEvent).where(UsageEvent.key.in_(sorted(report.samples)))
    if report.metric is not None:
        query = query.where(UsageEvent.metric == report.metric)
    for row in session.scalars(query.order_by(UsageEvent.key).with_for_update()):
        report.flagged.append(row)
        if row.push_error is not None:
            continue
        before = row.pushed_at
        row.pushed_at, row.push_attempts = None, MAX_REFUSALS
        row.push_error = report.samples[row.key]
        audit.record(
            session,
            tenant_id=row.provider_id,
            provider_id=row.provider_id,
            action="usage_event.refused_by_stripe",
            entity_type="usage_event",
            entity_id=row.id,
            changes={
                "pushed_at": [before, None],
                "push_error": [None, row.push_error],
                "stripe_event": [None, event_id],
            },
        )
    session.flush()


def _alert(session: Session, report: Report, event_id: str) -> None:
    label = METRICS.get(report.metric or "", report.meter)
    by_provider: dict = defaultdict(list)
    for row in report.flagged:
        by_provider[row.provider_id].append(row)
    names = dict(
        session.execute(
            sa.select(Organisation.id, Organisation.name).where(
                Organisation.id.in_(list(by_provider))
            )
        ).all()
    )
    lines = [
        f"Stripe refused {report.total} usage event(s) on the meter {report.meter} ({label})"
        f" that it had accepted between {report.start} and {report.end}.",
        *(f"{code}: {count}" for code, count in report.codes),
    ]
    for provider_id, rows in by_provider.items():
        keys = [row.key for row in rows]
        shown = ", ".join(keys[:KEYS_IN_ALERT])
        more = f" and {len(keys) - KEYS_IN_ALERT} more" if len(keys) > KEYS_IN_ALERT else ""
        lines.append(
            f"{names.get(provider_id, provider_id)}: {len(rows)} flagged in the ledger"
            f" (not counted as pushed; the push leaves them): {shown}{more}."
        )
        lines.extend(f"  {row.key}: {row.push_error}" for row in rows[:KEYS_IN_ALERT])
    if report.unidentified:
        lines.append(
            f"{report.unidentified} refused event(s) are not named in Stripe's samples:"
            " the daily reconciliation shows them as a difference on this meter."
        )
    lines.append(
        f"Stripe event {event_id}. Nothing more is sent for the flagged events; each keeps"
        " Stripe's reason in usage_events.push_error for whoever puts the cause right."
    )
    alert_operators(
        session,
        key=f"billing-meter-errors:{event_id}",
        subject=f"Stripe refused {report.total} usage event(s) on {label}",
        lines=lines,
    )
