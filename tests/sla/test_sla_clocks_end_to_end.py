"""The SLA clocks on real history: a handoff over Easter, a late answer by the
client, an approval wait, a late delivery and a late receipt, rolled up.

The engagement works Monday to Friday 09:00-17:00 in Berlin with German
public holidays (Good Friday 3 April and Easter Monday 6 April 2026). Every
figure below is counted by hand on that calendar, and the same history gives
the same figures on PostgreSQL and SQLite (the ``app`` fixture runs both).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from baton.procurement.handoff import review
from baton.procurement.orders import acknowledgements, receipts, release
from tests.support import orders as o
from tests.support import requirements as h
from tests.support.sla import at, berlin, measures, monthly, roll, use_calendar


def _return(app, world, rid):
    with h.as_provider(app, world) as (session, user_id):
        review.return_requirement(
            session,
            world.orgs["north"],
            user_id,
            rid,
            [{"code": "missing_specification", "comment": "The drawing is missing."}],
        )


def _accept(app, world, rid):
    with h.as_provider(app, world) as (session, user_id):
        review.accept(session, world.orgs["north"], user_id, rid)


def _release(app, world, po_id):
    with h.as_provider(app, world) as (session, _):
        release.release(session, world.orgs["north"], po_id)


def _acknowledge(app, world, po_id):
    with h.as_provider(app, world) as (session, _):
        po = session.get(release.PurchaseOrder, po_id)
        acknowledgements.acknowledge(
            session, po, [{"line_no": 1, "outcome": "accepted"}], source="email"
        )


def _receive(app, world, po_id, quantity, on):
    with h.as_provider(app, world) as (session, user_id):
        receipts.receive(
            session,
            world.orgs["north"],
            user_id,
            po_id,
            [{"line_no": 1, "quantity_received": quantity}],
            received_on=on,
        )


def _history(app, world, need_by=date(2026, 5, 29)):
    """Handed off Thursday 2 April 15:00, returned Tuesday 10:00 (after Easter),
    answered Wednesday 11:00, accepted 12:00, PO submitted 13:00, approved
    Thursday 10:00, released 11:00, acknowledged Tuesday 14 April 12:00."""
    use_calendar(app, world.engagements["acme-north"], sla_handoff_to_release_hours=Decimal(16))
    o.set_policy(app, world, "100")
    with at(berlin(2026, 4, 2, 15)):
        rid = h.submitted(app, world, lines=[h.good_line(need_by=need_by)])
    with at(berlin(2026, 4, 7, 10)):
        _return(app, world, rid)
    with at(berlin(2026, 4, 8, 11)):
        h.submit(app, world, rid)
    with at(berlin(2026, 4, 8, 12)):
        _accept(app, world, rid)
    with at(berlin(2026, 4, 8, 13)):
        po_id = o.draft(app, world, rid)
        o.submit(app, world, po_id)
    with at(berlin(2026, 4, 9, 10)):
        o.approve(app, world, po_id)
    with at(berlin(2026, 4, 9, 11)):
        _release(app, world, po_id)
    with at(berlin(2026, 4, 14, 12)):
        _acknowledge(app, world, po_id)
    return rid, po_id


def test_handoff_to_release_is_split_by_whose_time_it_was(app, world):
    rid, po_id = _history(app, world)
    with at(berlin(2026, 4, 15, 9)):
        roll(app, world)

    (handoff,) = measures(app, world, "handoff_to_release")
    assert handoff.requirement_id == rid
    # Thu 2 h + (Good Friday, Easter Monday off) + Tue 8 h + Wed 8 h + Thu 2 h.
    assert handoff.elapsed_hours == Decimal("20")
    # The provider: Thu 15-17, Tue 9-10, Wed 11-12 and 12-13, Thu 10-11.
    assert handoff.provider_hours == Decimal("6")
    # The client: returned Tue 10:00 to Wed 11:00 (9 h), the approval Wed 13:00 to Thu 10:00 (5 h).
    assert handoff.client_hours == Decimal("14")
    assert handoff.supplier_hours == 0
    # Over the 16-hour target on all time, but the provider's own 6 h are within.
    assert (handoff.within, handoff.owner_met, handoff.breach_party) == (False, True, "client")
    assert handoff.period == date(2026, 4, 1)

    (answer,) = measures(app, world, "client_answer")
    assert answer.elapsed_hours == Decimal("9") and answer.client_hours == Decimal("9")
    assert (answer.within, answer.owner_met, answer.breach_party) == (False, False, "client")
    assert answer.cause == "missing_specification"

    (wait,) = measures(app, world, "approval_wait")
    assert (wait.elapsed_hours, wait.client_hours) == (Decimal("5"), Decimal("5"))

    (ack,) = measures(app, world, "acknowledgement")
    assert ack.po_id == po_id
    # Thu 11-17 (6 h), Fri 8 h, Mon 8 h, Tue 9-12 (3 h): the supplier's 25 h, within 48.
    assert (ack.elapsed_hours, ack.supplier_hours) == (Decimal("25"), Decimal("25"))
    assert (ack.within, ack.value) == (True, 1)

    april = monthly(app, world, "handoff_to_release")[date(2026, 4, 1)]
    assert (april.items, april.judged, april.within, april.owner_missed) == (1, 1, 0, 0)
    assert april.breaches_client == 1 and april.breaches_provider == 0
    assert april.p50_hours == Decimal("20") and april.p90_hours == Decimal("20")
    returns = monthly(app, world, "review_decision")[date(2026, 4, 1)]
    assert (returns.items, returns.value_sum) == (2, 1)  # two decisions, one return
    by_reason = monthly(app, world, "review_decision", cause="missing_specification")
    assert by_reason[date(2026, 4, 1)].items == 1


def test_a_late_receipt_changes_last_months_otif_at_the_next_rollup(app, world):
    _rid, po_id = _history(app, world)
    # 2 June: the line promised for Friday 29 May has not been received.
    with at(berlin(2026, 6, 2, 9)):
        roll(app, world)
    (line,) = measures(app, world, "delivery")
    assert line.period == date(2026, 5, 1)
    assert (line.within, line.in_full, line.on_time, line.breach_party) == (
        False,
        False,
        False,
        "supplier",
    )
    may = monthly(app, world, "delivery")[date(2026, 5, 1)]
    assert (may.judged, may.within, may.breaches_supplier) == (1, 0, 1)

    # 3 June: the goods store enters the receipt of 28 May it had forgotten.
    with at(berlin(2026, 6, 3, 9)):
        _receive(app, world, po_id, "250", "2026-05-28")
        roll(app, world)
    (line,) = measures(app, world, "delivery")
    assert (line.within, line.in_full, line.on_time, line.on_time_need_by) == (True,) * 4
    assert line.value == -1  # a day early
    may = monthly(app, world, "delivery")[date(2026, 5, 1)]
    assert (may.judged, may.within, may.breaches_supplier, may.in_full) == (1, 1, 0, 1)


def test_an_open_handoff_is_judged_once_its_limit_passes_without_any_event(app, world):
    use_calendar(app, world.engagements["acme-north"], sla_handoff_to_release_hours=Decimal(16))
    with at(berlin(2026, 4, 2, 15)):
        h.submitted(app, world)
    with at(berlin(2026, 4, 7, 9)):  # 2 business hours in: nothing to judge yet
        roll(app, world)
    (handoff,) = measures(app, world, "handoff_to_release")
    assert (handoff.within, handoff.owner_met) == (None, None)
    # The provider's 16 hours run out on Wednesday at 15:00 (Thu 2 + Tue 8 + Wed 6).
    assert handoff.due_at == berlin(2026, 4, 8, 15)
    with at(berlin(2026, 4, 8, 16)):
        result = roll(app, world)
    assert result.subjects >= 1
    (handoff,) = measures(app, world, "handoff_to_release")
    assert (handoff.within, handoff.owner_met, handoff.breach_party) == (False, False, "provider")
    assert handoff.ended_at is None
    april = monthly(app, world, "handoff_to_release")[date(2026, 4, 1)]
    assert (april.judged, april.owner_missed, april.breaches_provider) == (1, 1, 1)


def test_a_rebuild_gives_the_same_figures_as_the_incremental_runs(app, world):
    _history(app, world)
    with at(berlin(2026, 4, 15, 9)):
        roll(app, world)
        before = {(m.metric, m.subject_id, m.elapsed_hours, m.within) for m in _all(app, world)}
        roll(app, world, rebuild=True)
    after = {(m.metric, m.subject_id, m.elapsed_hours, m.within) for m in _all(app, world)}
    assert before == after
    assert {m for m, *_ in after} == {
        "handoff_to_release",
        "review",
        "client_answer",
        "acknowledgement",
        "delivery",
    }


def _all(app, world):
    found = []
    for metric in ("handoff_to_release", "review", "client_answer", "acknowledgement", "delivery"):
        found += measures(app, world, metric)
    return found
