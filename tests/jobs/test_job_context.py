"""Jobs act in the tenant context of their outbox row, under the app role, so
row-level security applies to them as to a request; only jobs declared
cross-tenant get the service role."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from baton.platform.db import db
from baton.platform.jobs import job, registry, run_outbox_message
from baton.platform.outbox import FAILED, OutboxMessage, emit
from baton.platform.request_context import SYSTEM, acting_as
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.sourcing.suppliers.models import Supplier

SEEN: dict[str, object] = {}


@job("tests.read_suppliers", max_retries=1)
def _read_suppliers(session, payload):
    # Raw SQL, past the ORM's own scoping: only row-level security decides.
    tenants = session.execute(sa.text("SELECT DISTINCT tenant_id FROM suppliers")).scalars()
    SEEN[payload["probe"]] = {uuid.UUID(str(t)) for t in tenants}


@job("tests.sneaks_service_role", max_retries=1)
def _sneaks(session, payload):
    db.new_service_session(SERVICE_CONTEXT).close()


@job("tests.declared_cross_tenant", max_retries=1, cross_tenant=True)
def _declared(session, payload):
    tenants = session.execute(sa.text("SELECT DISTINCT tenant_id FROM suppliers")).scalars()
    SEEN[payload["probe"]] = {uuid.UUID(str(t)) for t in tenants}


def _supplier(session, tenant_id: uuid.UUID) -> None:
    session.add(
        Supplier(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            name="Probe GmbH",
            code=f"P{uuid.uuid4().hex[:6]}",
            currency="EUR",
        )
    )


@contextmanager
def _service(app):
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            with acting_as(SYSTEM):
                yield session
            session.commit()
        finally:
            session.close()


def _emit_and_run(app, job_name: str, **where) -> tuple[str, str]:
    probe = uuid.uuid4().hex
    with _service(app) as session:
        row = emit(session, job_name, {"probe": probe}, **where)
    with app.app_context():
        outcome = run_outbox_message(str(row.id))
    return probe, outcome


@pytest.fixture
def two_tenants_with_suppliers(pg_app, pg_world):
    with _service(pg_app) as session:
        for key in ("acme", "globex"):
            _supplier(session, pg_world.orgs[key])
    return pg_world


def test_a_job_acting_for_acme_cannot_read_globex_rows(pg_app, two_tenants_with_suppliers):
    world = two_tenants_with_suppliers
    probe, outcome = _emit_and_run(pg_app, "tests.read_suppliers", tenant_id=world.orgs["acme"])
    assert outcome == "done"
    assert SEEN.pop(probe) == {world.orgs["acme"]}


def test_a_providers_job_about_one_client_sees_that_client_only(pg_app, two_tenants_with_suppliers):
    """North works for Acme and Globex; its job about Acme sees Acme's suppliers only."""
    world = two_tenants_with_suppliers
    probe, outcome = _emit_and_run(
        pg_app,
        "tests.read_suppliers",
        tenant_id=world.orgs["acme"],
        provider_id=world.orgs["north"],
    )
    assert outcome == "done"
    assert SEEN.pop(probe) == {world.orgs["acme"]}


def test_a_job_about_no_tenant_sees_no_tenant_rows(pg_app, two_tenants_with_suppliers):
    probe, outcome = _emit_and_run(pg_app, "tests.read_suppliers")
    assert outcome == "done"
    assert SEEN.pop(probe) == set()


def test_an_undeclared_job_that_opens_the_service_role_fails(pg_app, pg_world):
    _probe, outcome = _emit_and_run(
        pg_app, "tests.sneaks_service_role", tenant_id=pg_world.orgs["acme"]
    )
    assert outcome == "failed"
    with _service(pg_app) as session:
        row = session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.job == "tests.sneaks_service_role")
            .order_by(OutboxMessage.created_at.desc())
        ).first()
        assert row.status == FAILED
        assert "declare it cross_tenant=True" in row.last_error


def test_a_declared_cross_tenant_job_reads_across_tenants(pg_app, two_tenants_with_suppliers):
    world = two_tenants_with_suppliers
    probe, outcome = _emit_and_run(pg_app, "tests.declared_cross_tenant")
    assert outcome == "done"
    assert {world.orgs["acme"], world.orgs["globex"]} <= SEEN.pop(probe)


def test_only_the_declared_jobs_are_cross_tenant():
    from baton.platform.areas import load_jobs

    load_jobs()
    declared = {name for name, spec in registry.items() if spec.cross_tenant}
    # The chaser scan only finds what is due and emits one job per order, in its tenant;
    # the SLA rollup's scan likewise moves the marks and emits one job per tenant.
    # A Stripe event names a customer, not a tenant: its job finds the provider in the
    # directory and writes that one provider's audit chain.
    assert declared - {"tests.declared_cross_tenant"} == {
        "billing.stripe_event",
        "platform.verify_audit_chains",
        "procurement.find_due_chasers",
        "procurement.sla_rollup",
        # Billing reads every provider's usage to push it and to check it against Stripe;
        # the monthly storage meter sums every tenant's stored revisions.
        "tenants.billing_push",
        "tenants.billing_reconcile",
        "sourcing.meter_storage",
    }
