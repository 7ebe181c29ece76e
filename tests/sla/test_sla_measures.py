"""Each measure against hand-computed figures, without a database: daylight
saving, the month a measure counts in, clock stops on each party."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from baton.procurement.orders.issue_states import ORDER_ISSUE
from baton.procurement.orders.states import PURCHASE_ORDER
from baton.procurement.sla import clock
from baton.procurement.sla.aggregate import percentile_cont
from baton.procurement.sla.measures import (
    IssueFacts,
    LineFacts,
    OrderFacts,
    RequirementFacts,
    Scope,
    issue_measures,
    order_measures,
    requirement_measures,
)
from baton.sourcing.requirements.states import REQUIREMENT
from baton.tenants.calendars import Calendar
from baton.tenants.sla_targets import KINDS, Target

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def at(*args, zone=BERLIN) -> datetime:
    return datetime(*args, tzinfo=zone)


def targets(**hours) -> dict[str, Target]:
    return {
        m: Target(m, k.label, k.owner, k.default_percent, hours.get(m, k.default_hours), Decimal(0))
        for m, k in KINDS.items()
    }


def scope(now: datetime, zone: str = "Europe/Berlin", **hours) -> Scope:
    return Scope(
        tenant_id=uuid.uuid4(),
        provider_id=uuid.uuid4(),
        engagement_id=uuid.uuid4(),
        calendar=Calendar(timezone=zone, holiday_country="DE"),
        targets=targets(**hours),
        now=now.astimezone(UTC),
    )


def requirement(history, reviews=(), orders=()) -> RequirementFacts:
    return RequirementFacts(
        id=uuid.uuid4(),
        label="REQ-1 Brackets",
        supplier_id=None,
        buyer_id=None,
        history=history,
        reviews=reviews,
        order_histories=orders,
    )


def by_metric(rows):
    return {r["metric"]: r for r in rows}


def test_a_handoff_across_the_spring_clock_change_counts_the_wall_clock_hours():
    # Friday 27 March 16:00 CET to Monday 30 March 10:00 CEST: 1 h + 1 h.
    facts = requirement(
        [
            (at(2026, 3, 27, 16), "submitted"),
            (at(2026, 3, 30, 9, 30), "in_review"),
            (at(2026, 3, 30, 9, 45), "accepted"),
            (at(2026, 3, 30, 10), "ordered"),
        ]
    )
    rows = by_metric(
        requirement_measures(
            scope(at(2026, 4, 1, 9)), facts, REQUIREMENT.waits_on, PURCHASE_ORDER.waits_on
        )
    )
    handoff = rows["handoff_to_release"]
    assert handoff["elapsed_hours"] == Decimal(2) == handoff["provider_hours"]
    assert (handoff["within"], handoff["owner_met"]) == (True, True)
    assert rows["review"]["elapsed_hours"] == Decimal("1.75")


def test_a_measure_counts_in_the_month_of_the_engagements_own_zone():
    # 31 May 23:30 UTC is already 1 June in Berlin, still 31 May in New York.
    start = datetime(2026, 5, 31, 23, 30, tzinfo=UTC)
    facts = requirement([(start, "submitted")])
    berlin = by_metric(
        requirement_measures(scope(start), facts, REQUIREMENT.waits_on, PURCHASE_ORDER.waits_on)
    )
    new_york = by_metric(
        requirement_measures(
            scope(start, "America/New_York"), facts, REQUIREMENT.waits_on, PURCHASE_ORDER.waits_on
        )
    )
    assert berlin["handoff_to_release"]["period"] == date(2026, 6, 1)
    assert new_york["handoff_to_release"]["period"] == date(2026, 5, 1)


def test_an_order_waiting_for_the_client_stops_the_providers_clock_on_its_requirement():
    history = [
        (at(2026, 4, 13, 9), "submitted"),
        (at(2026, 4, 13, 10), "accepted"),
        (at(2026, 4, 15, 12), "ordered"),
    ]
    order = [
        (at(2026, 4, 13, 11), "pending_approval"),
        (at(2026, 4, 15, 11), "approved"),
        (at(2026, 4, 15, 12), "released"),
    ]
    rows = by_metric(
        requirement_measures(
            scope(at(2026, 4, 16, 9), handoff_to_release=Decimal(8)),
            requirement(history, orders=[order]),
            REQUIREMENT.waits_on,
            PURCHASE_ORDER.waits_on,
        )
    )
    handoff = rows["handoff_to_release"]
    # Mon 9-17 (8) + Tue (8) + Wed 9-12 (3) = 19 h; the client's approval Mon 11 to Wed 11 = 16 h.
    assert handoff["elapsed_hours"] == Decimal(19)
    assert (handoff["client_hours"], handoff["provider_hours"]) == (Decimal(16), Decimal(3))
    assert (handoff["within"], handoff["owner_met"], handoff["breach_party"]) == (
        False,
        True,
        "client",
    )


def test_an_issue_routed_to_the_supplier_is_the_suppliers_time():
    raised = at(2026, 4, 13, 9)
    issue = IssueFacts(
        id=uuid.uuid4(),
        label="ACME-000001 issue 1: Date",
        cause="date",
        raised_at=raised,
        history=[(at(2026, 4, 13, 10), "with_supplier"), (at(2026, 4, 14, 15), "answered")],
    )
    (row,) = issue_measures(scope(at(2026, 4, 15, 9)), issue, None, ORDER_ISSUE.waits_on)
    # Provider Mon 9-10 (1 h); supplier Mon 10-17 + Tue 9-15 (13 h): over 8 h on the supplier.
    assert (row["provider_hours"], row["supplier_hours"], row["elapsed_hours"]) == (
        Decimal(1),
        Decimal(13),
        Decimal(14),
    )
    assert (row["within"], row["owner_met"], row["breach_party"]) == (False, True, "supplier")
    assert row["cause"] == "date"


def _order(history, lines, changes=()):
    return OrderFacts(
        id=uuid.uuid4(),
        number="ACME-000001",
        supplier_id=uuid.uuid4(),
        buyer_id=None,
        requirement_id=None,
        history=history,
        lines=lines,
        change_orders=changes,
    )


def test_deliveries_are_judged_by_promised_date_and_need_by_date():
    released = at(2026, 4, 1, 10)
    lines = [
        # in full on the promised date, after the need-by date
        LineFacts(
            uuid.uuid4(),
            1,
            Decimal(10),
            date(2026, 4, 20),
            date(2026, 4, 17),
            [(date(2026, 4, 18), Decimal(6)), (date(2026, 4, 20), Decimal(4))],
        ),
        # short: 9 of 10 accepted by the date
        LineFacts(
            uuid.uuid4(), 2, Decimal(10), date(2026, 4, 20), None, [(date(2026, 4, 20), Decimal(9))]
        ),
        # not due yet
        LineFacts(uuid.uuid4(), 3, Decimal(10), date(2026, 5, 20), None, []),
    ]
    history = [(released, "released"), (at(2026, 4, 2, 10), "acknowledged")]
    rows = [
        r
        for r in order_measures(
            scope(at(2026, 4, 22, 9)), _order(history, lines), PURCHASE_ORDER.waits_on
        )
        if r["metric"] == "delivery"
    ]
    full, short, later = rows
    assert (full["within"], full["in_full"], full["on_time"], full["on_time_need_by"]) == (
        True,
        True,
        True,
        False,
    )
    assert full["value"] == 0
    assert (short["within"], short["in_full"], short["breach_party"]) == (False, False, "supplier")
    assert (later["within"], later["period"]) == (None, date(2026, 5, 1))
    assert later["due_at"] == at(2026, 5, 21, 0)


def test_goods_received_before_any_acknowledgement_end_the_wait_unacknowledged():
    history = [(at(2026, 4, 1, 10), "released"), (at(2026, 4, 3, 10), "partially_received")]
    rows = by_metric(
        order_measures(scope(at(2026, 4, 10, 9)), _order(history, []), PURCHASE_ORDER.waits_on)
    )
    ack = rows["acknowledgement"]
    assert (ack["value"], ack["within"], ack["breach_party"]) == (0, False, "supplier")


def test_overlay_gives_the_window_to_the_party_and_keeps_the_rest():
    base = clock.timeline(
        [(at(2026, 4, 13, 9), "provider")], at(2026, 4, 13, 9), at(2026, 4, 13, 17)
    )
    cut = clock.overlay(base, [(at(2026, 4, 13, 11), at(2026, 4, 13, 12))], "client")
    assert [
        (s.start.hour, s.end.hour, s.party)
        for s in (
            clock.Segment(x.start.astimezone(BERLIN), x.end.astimezone(BERLIN), x.party)
            for x in cut
        )
    ] == [(9, 11, "provider"), (11, 12, "client"), (12, 17, "provider")]


def test_percentile_cont_interpolates_as_postgresql_does():
    values = [Decimal(v) for v in (1, 2, 3, 10)]
    assert percentile_cont(values, 0.5) == Decimal("2.5")
    assert percentile_cont(values, 0.9) == Decimal("7.9")
    assert percentile_cont([Decimal(4)], 0.9) == Decimal(4)
    assert percentile_cont([], 0.5) is None


def test_released_change_orders_count_by_cause_in_the_month_of_their_release():
    history = [(at(2026, 4, 1, 10), "released"), (at(2026, 4, 2, 10), "acknowledged")]
    changes = [
        (uuid.uuid4(), 1, "engineering_change", at(2026, 4, 30, 23, 30)),  # still April in Berlin
        (uuid.uuid4(), 2, "supplier_change", at(2026, 5, 4, 9)),
    ]
    rows = [
        r
        for r in order_measures(
            scope(at(2026, 5, 5, 9)), _order(history, [], changes), PURCHASE_ORDER.waits_on
        )
        if r["metric"] == "change_order"
    ]
    assert [(r["cause"], r["period"], r["subject_label"]) for r in rows] == [
        ("engineering_change", date(2026, 4, 1), "ACME-000001 change order 1"),
        ("supplier_change", date(2026, 5, 1), "ACME-000001 change order 2"),
    ]
