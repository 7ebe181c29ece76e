"""The demo's billing is as the README tour says: Northwind on Starter, then on
Growth from the 15th of last month, with months of metered usage priced."""

from __future__ import annotations

import sqlalchemy as sa

from baton.platform.db import db, utcnow
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.tenants.billing import statements
from baton.tenants.demo import PROVIDER
from baton.tenants.models import Organisation
from tests.foundation.test_demo_seed import fresh_app, seed  # noqa: F401 (the fixture)
from tests.support.world import login


def test_the_demo_provider_has_plans_usage_and_a_prorated_change(fresh_app):  # noqa: F811
    seed(fresh_app)
    with fresh_app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            north = session.scalar(sa.select(Organisation.id).where(Organisation.name == PROVIDER))
            this_month = statements.month_start(utcnow().date())
            last = statements.provider_statement(session, north, statements.shift(this_month, -1))
            months = [
                statements.provider_statement(session, north, statements.shift(this_month, -i))
                for i in range(4)
            ]
        finally:
            session.close()
    assert [p.plan_code for p in last.periods] == ["starter-eur", "growth-eur"]
    assert all(p.base_amount < p.base_fee for p in last.periods)
    assert sum(1 for s in months if s.usage_amount > 0 or s.metrics) >= 2
    fresh_app.config["WTF_CSRF_ENABLED"] = False  # the instance is the demo's, the form a test's
    client = fresh_app.test_client()
    login(client, "admin@northwind.example", "baton-demo-2026")
    page = client.get(f"/provider/billing?month={statements.shift(this_month, -1):%Y-%m}")
    assert page.status_code == 200 and "prorated" in page.get_data(as_text=True)
