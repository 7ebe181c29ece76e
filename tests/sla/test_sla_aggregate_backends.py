"""The same measures give the same monthly figures on PostgreSQL
(``percentile_cont``, ``stddev_samp``) and on SQLite (the same formulas in Python)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa

from baton.procurement.sla.aggregate import aggregate
from baton.procurement.sla.models import SlaMeasure, SlaMonthly
from tests.support import requirements as h

APRIL = date(2026, 4, 1)


def _measure(world, engagement_id, hours, *, within, owner_met, party=None, value=None, cause=None):
    return {
        "tenant_id": world.orgs["acme"],
        "provider_id": world.orgs["north"],
        "engagement_id": engagement_id,
        "metric": "issue_answer",
        "subject_type": "po_issue",
        "subject_id": uuid.uuid4(),
        "subject_label": "issue",
        "period": APRIL,
        "started_at": datetime(2026, 4, 1, 9, tzinfo=UTC),
        "ended_at": datetime(2026, 4, 2, 9, tzinfo=UTC) if hours is not None else None,
        "elapsed_hours": hours,
        "within": within,
        "owner_met": owner_met,
        "breach_party": party,
        "value": value,
        "cause": cause,
    }


def test_monthly_figures_match_on_both_databases(app, world):
    engagement_id = uuid.uuid4()
    rows = [
        _measure(
            world,
            engagement_id,
            Decimal(1),
            within=True,
            owner_met=True,
            value=Decimal(2),
            cause="date",
        ),
        _measure(
            world,
            engagement_id,
            Decimal(2),
            within=True,
            owner_met=True,
            value=Decimal(4),
            cause="date",
        ),
        _measure(
            world,
            engagement_id,
            Decimal(3),
            within=True,
            owner_met=True,
            value=Decimal(4),
            cause="price",
        ),
        _measure(
            world,
            engagement_id,
            Decimal(10),
            within=False,
            owner_met=True,
            party="client",
            value=Decimal(6),
            cause="price",
        ),
        # open and already over on the provider's own time: judged, not ended
        _measure(
            world,
            engagement_id,
            None,
            within=False,
            owner_met=False,
            party="provider",
            cause="price",
        ),
        # open, not judged yet
        _measure(world, engagement_id, None, within=None, owner_met=None, cause="date"),
    ]
    with h.service_session(app) as session:
        session.execute(sa.insert(SlaMeasure), rows)
        written = aggregate(session, world.orgs["acme"], world.orgs["north"], engagement_id, APRIL)
    assert written == 3  # the whole metric, and its two causes
    with h.service_session(app) as session:
        found = {
            r.cause: r
            for r in session.scalars(
                sa.select(SlaMonthly).where(SlaMonthly.engagement_id == engagement_id)
            )
        }
        session.expunge_all()
    whole = found[""]
    assert (whole.items, whole.judged, whole.within, whole.owner_missed) == (6, 5, 3, 1)
    assert (whole.breaches_client, whole.breaches_provider, whole.breaches_supplier) == (1, 1, 0)
    # Exact percentiles over the four finished ones: 1, 2, 3, 10.
    assert (whole.p50_hours, whole.p90_hours) == (Decimal("2.5"), Decimal("7.9"))
    assert (whole.value_sum, whole.value_mean) == (Decimal(16), Decimal(4))
    assert whole.value_stddev == Decimal("1.6330")
    assert (found["date"].items, found["price"].items) == (3, 3)
    assert found["price"].p50_hours == Decimal("6.5")
