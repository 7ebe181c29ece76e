"""SLA credits reach Stripe as customer balance credits: once per grant, however
often the job runs, and corrected (never re-applied) when a credit is recomputed."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from baton.platform.jobs import run_outbox_message
from baton.platform.outbox import OutboxMessage, emit
from baton.procurement.sla import billing_credits
from baton.procurement.sla.models import SlaCredit
from baton.tenants.billing.credits import APPLY_JOB
from baton.tenants.billing.models import CreditGrant
from tests.support import requirements as h
from tests.support import stripe_billing as b
from tests.support.world import make_world


def _credit(app, world, amount: str) -> uuid.UUID:
    with h.service_session(app) as session:
        credit = SlaCredit(
            id=uuid.uuid4(),
            tenant_id=world.orgs["acme"],
            provider_id=world.orgs["north"],
            engagement_id=world.engagements["acme-north"],
            period=date(2026, 10, 1),
            missed=[],
            credit_percent=Decimal("5"),
            fee=Decimal("4000"),
            amount=Decimal(amount),
            currency="EUR",
        )
        session.add(credit)
        session.flush()
        billing_credits.grant_for(session, credit)
        return credit.id


def _recompute(app, credit_id, amount: str) -> None:
    with h.service_session(app) as session:
        credit = session.get(SlaCredit, credit_id)
        credit.amount = Decimal(amount)
        billing_credits.grant_for(session, credit)


def _grants(app, credit_id) -> list[CreditGrant]:
    with h.service_session(app) as session:
        rows = session.scalars(
            sa.select(CreditGrant).filter_by(sla_credit_id=credit_id).order_by(CreditGrant.seq)
        ).all()
        session.expunge_all()
        return rows


def _run_pending(app, credit_id) -> None:
    ids = [str(g.id) for g in _grants(app, credit_id)]
    with h.service_session(app) as session:
        rows = session.scalars(
            sa.select(OutboxMessage.id).where(
                OutboxMessage.job == APPLY_JOB, OutboxMessage.status == "pending"
            )
        ).all()
        rows = [r for r in rows if session.get(OutboxMessage, r).payload.get("grant_id") in ids]
    with app.app_context():
        for row in rows:
            assert run_outbox_message(str(row)) == "done"


def _transactions(stripe_server, customer):
    return [
        t
        for t in stripe_server.objects("balance_transactions").values()
        if t["customer"] == customer
    ]


def test_an_sla_credit_is_applied_once_even_when_its_job_runs_twice(stripe_app, stripe_server):
    world = make_world(stripe_app)
    customer = b.customer_for(stripe_app, world.orgs["north"])
    credit_id = _credit(stripe_app, world, "200.00")
    _run_pending(stripe_app, credit_id)
    [grant] = _grants(stripe_app, credit_id)
    assert grant.applied_at is not None and grant.stripe_transaction_id
    # The job runs again (a retry after a lost commit: the grant looks unapplied).
    with h.service_session(stripe_app) as session:
        session.execute(
            sa.update(CreditGrant)
            .where(CreditGrant.id == grant.id)
            .values(applied_at=None, stripe_transaction_id=None)
        )
        again = emit(
            session,
            APPLY_JOB,
            {"grant_id": str(grant.id)},
            about=session.get(CreditGrant, grant.id),
        )
    with stripe_app.app_context():
        assert run_outbox_message(str(again.id)) == "done"
    [txn] = _transactions(stripe_server, customer)
    assert txn["amount"] == -20000 and txn["currency"] == "eur"
    assert txn["description"] == f"SLA credit Acme {world.suffix} 2026-10"
    assert stripe_server.objects("customers")[customer]["balance"] == -20000
    assert _grants(stripe_app, credit_id)[0].stripe_transaction_id == txn["id"]
    keys = {
        r["idempotency_key"]
        for r in stripe_server.received(f"/v1/customers/{customer}/balance_transactions")
    }
    assert keys == {f"sla-credit:{grant.id}"}


def test_a_recomputed_credit_is_corrected_by_the_difference(stripe_app, stripe_server):
    world = make_world(stripe_app)
    customer = b.customer_for(stripe_app, world.orgs["north"])
    credit_id = _credit(stripe_app, world, "200.00")
    _run_pending(stripe_app, credit_id)
    _recompute(stripe_app, credit_id, "150.00")
    _recompute(stripe_app, credit_id, "150.00")  # unchanged: nothing more
    _run_pending(stripe_app, credit_id)
    grants = _grants(stripe_app, credit_id)
    assert [(g.seq, g.amount) for g in grants] == [(1, Decimal("200.00")), (2, Decimal("-50.00"))]
    assert sorted(t["amount"] for t in _transactions(stripe_server, customer)) == [-20000, 5000]
    assert stripe_server.objects("customers")[customer]["balance"] == -15000


def test_a_zero_credit_grants_nothing(stripe_app, stripe_server):
    world = make_world(stripe_app)
    credit_id = _credit(stripe_app, world, "0")
    assert _grants(stripe_app, credit_id) == []
