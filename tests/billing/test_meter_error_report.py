"""Stripe's meter error report: usage it took on the stream and refused later
comes back as a signed thin event; the refused rows are flagged in the ledger
(not counted as pushed), operators are alerted once, and a replay or a bad
signature changes nothing."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from baton.platform.audit import AuditEvent
from baton.platform.outbox import OutboxMessage
from baton.tenants.billing import push, reconcile
from baton.tenants.billing.plans import PLATFORM_CHAIN
from baton.tenants.models import Organisation
from tests.support import billing_push as bp
from tests.support import orders as o
from tests.support import requirements as h
from tests.support import stripe_billing as b
from tests.support.stripe_standin import WEBHOOK_SECRET
from tests.support.world import login, make_world

THIN = "/billing/stripe/thin-webhook"


@pytest.fixture
def world(stripe_app):
    yield make_world(stripe_app)
    bp.clear_pause(stripe_app)


@pytest.fixture
def operator(stripe_app) -> str:
    from baton.tenants import services

    email = f"operator.{uuid.uuid4().hex[:6]}@baton.example"
    with h.service_session(stripe_app) as session:
        user = services.create_user(session, email=email, name="Operator", password="x" * 12)
        user.is_operator = True
    return email


@pytest.fixture
def refused(stripe_app, world):
    """North's usage pushed under a customer Stripe does not know: 202, then dropped."""
    north = world.orgs["north"]
    b.customer_for(stripe_app, north)
    gone = f"cus_gone{uuid.uuid4().hex[:10]}"
    b.set_account(stripe_app, north, stripe_customer_id=gone)
    o.released(stripe_app, world)
    o.released(stripe_app, world)
    result = bp.run_push(stripe_app, north)
    assert result.pushed > 0
    assert all(e.pushed_at is not None for e in bp.ledger_events(stripe_app, north))
    return north, gone


def _post(app, body, headers):
    return app.test_client().post(THIN, data=body, headers=headers)


def _alerts(app, event_ids) -> list[OutboxMessage]:
    keys = [f"notify:billing-meter-errors:{e}" for e in event_ids]
    with h.service_session(app) as session:
        return list(
            session.scalars(sa.select(OutboxMessage).where(OutboxMessage.dedup_key.in_(keys)))
        )


def _audits(app, tenant_id, action) -> int:
    with h.service_session(app) as session:
        return session.scalar(
            sa.select(sa.func.count()).where(
                AuditEvent.tenant_id == tenant_id, AuditEvent.action == action
            )
        )


def test_a_signed_error_report_flags_the_refused_rows_and_alerts_once(
    stripe_app, stripe_server, refused, operator
):
    north, gone = refused
    deliveries = stripe_server.meter_error_reports(customer=gone)
    rows = bp.ledger_events(stripe_app, north)
    # One report per meter, as Stripe sends them.
    assert len(deliveries) == len({r.metric for r in rows})
    for _, body, headers in deliveries:
        assert b'"data"' not in body  # thin: the job fetches the rest from Stripe
        response = _post(stripe_app, body, headers)
        assert response.status_code == 200, response.text

    rows = bp.ledger_events(stripe_app, north)
    assert all(r.pushed_at is None for r in rows)
    assert all(r.push_attempts == push.MAX_REFUSALS for r in rows)
    assert all(r.push_error.startswith("meter_event_customer_not_found: ") for r in rows)
    assert all(gone in r.push_error for r in rows)

    ids = [d[0] for d in deliveries]
    alerts = _alerts(stripe_app, ids)
    assert len(alerts) == len(deliveries)
    released = next(
        a for a in alerts if "Purchase orders released" in a.payload["message"]["subject"]
    )
    message = released.payload["message"]
    assert operator in message["to"]
    text = "\n".join(message["lines"])
    assert "meter_event_customer_not_found: 2" in text
    for row in rows:
        if row.metric == "po_released":
            assert row.key in text
    assert "not named in Stripe's samples" not in text

    stored = b.stored_event(stripe_app, ids[0])
    assert stored.processed_at is not None and "flagged" in stored.outcome
    assert stored.payload["data"]["reason"]["error_types"][0]["sample_errors"]
    assert _audits(stripe_app, north, "usage_event.refused_by_stripe") == len(rows)
    with h.service_session(stripe_app) as session:
        audited = session.scalars(
            sa.select(AuditEvent.entity_id).where(
                AuditEvent.tenant_id == PLATFORM_CHAIN,
                AuditEvent.action == "billing.meter_errors_reported",
                AuditEvent.entity_id.in_(ids),
            )
        ).all()
    assert sorted(audited) == sorted(ids)

    # Left for people: the push sends them no more, and the reconciliation
    # sees them as unpushed, not as pushed usage Stripe lost.
    assert bp.run_push(stripe_app, north).pushed == 0
    with h.service_session(stripe_app) as session:
        checks = reconcile.run(session, rows[0].occurred_at.date(), [north])
        kept = reconcile.reconciliations(session, provider_id=north)
        assert checks.differences == 0
        assert sum(r.unpushed_value for r in kept if r.period == "day") == sum(
            r.quantity for r in rows
        )


def test_a_replayed_report_changes_nothing(stripe_app, stripe_server, refused, operator):
    north, gone = refused
    deliveries = stripe_server.meter_error_reports(customer=gone)
    for _, body, headers in deliveries:
        assert _post(stripe_app, body, headers).status_code == 200
    before = [
        (r.id, r.pushed_at, r.push_attempts, r.push_error)
        for r in bp.ledger_events(stripe_app, north)
    ]
    audits = _audits(stripe_app, north, "usage_event.refused_by_stripe")
    for event_id, body, headers in deliveries:
        # Stripe retries (same event, same body, signed again): answered, nothing added.
        assert _post(stripe_app, body, headers).status_code == 200
        assert b.outbox_rows(stripe_app, event_id) == 1
    after = [
        (r.id, r.pushed_at, r.push_attempts, r.push_error)
        for r in bp.ledger_events(stripe_app, north)
    ]
    assert after == before
    assert _audits(stripe_app, north, "usage_event.refused_by_stripe") == audits
    assert len(_alerts(stripe_app, [d[0] for d in deliveries])) == len(deliveries)


def test_a_bad_signature_is_refused_with_400_and_changes_nothing(
    stripe_app, stripe_server, refused, operator
):
    north, gone = refused
    # Signed with the snapshot endpoint's secret, not the thin destination's.
    deliveries = stripe_server.meter_error_reports(customer=gone, secret=WEBHOOK_SECRET)
    assert deliveries
    for event_id, body, headers in deliveries:
        response = _post(stripe_app, body, headers)
        assert response.status_code == 400
        assert "signature" in response.get_json()["message"].lower()
        assert b.stored_event(stripe_app, event_id) is None
        assert b.outbox_rows(stripe_app, event_id) == 0
    assert all(
        r.pushed_at is not None and r.push_error is None
        for r in bp.ledger_events(stripe_app, north)
    )
    assert _alerts(stripe_app, [d[0] for d in deliveries]) == []


def test_refused_events_the_samples_do_not_name_are_counted_in_the_alert(
    stripe_app, stripe_server, refused, operator
):
    north, gone = refused
    deliveries = stripe_server.meter_error_reports(customer=gone, samples=1)
    for _, body, headers in deliveries:
        assert _post(stripe_app, body, headers).status_code == 200
    released = [r for r in bp.ledger_events(stripe_app, north) if r.metric == "po_released"]
    assert sorted(r.push_error is not None for r in released) == [False, True]
    alerts = _alerts(stripe_app, [d[0] for d in deliveries])
    text = "\n".join(
        line
        for a in alerts
        if "Purchase orders released" in a.payload["message"]["subject"]
        for line in a.payload["message"]["lines"]
    )
    assert "1 refused event(s) are not named in Stripe's samples" in text


def test_a_snapshot_event_on_the_thin_endpoint_is_refused(stripe_app):
    from tests.support.stripe_standin import THIN_WEBHOOK_SECRET, event, signed

    body, headers = signed(event("invoice.paid", {"id": "in_1"}), secret=THIN_WEBHOOK_SECRET)
    response = _post(stripe_app, body, headers)
    assert response.status_code == 400
    assert "thin event" in response.get_json()["message"]


def test_the_operators_page_counts_what_stripe_refused_for_each_provider(
    stripe_app, stripe_server, refused, operator
):
    north, gone = refused
    with h.service_session(stripe_app) as session:
        slug = session.get(Organisation, north).slug
    client = stripe_app.test_client()
    login(client, operator, "x" * 12)

    def north_row() -> str:
        page = client.get("/operator/billing").get_data(as_text=True)
        start = page.index(f'data-testid="provider-{slug}"')
        return page[start : page.index("</tr>", start)]

    assert "refused by Stripe" not in north_row()
    for _, body, headers in stripe_server.meter_error_reports(customer=gone):
        assert _post(stripe_app, body, headers).status_code == 200
    flagged = sum(r.push_error is not None for r in bp.ledger_events(stripe_app, north))
    assert flagged > 0
    assert f"{flagged} events refused by Stripe" in north_row()
