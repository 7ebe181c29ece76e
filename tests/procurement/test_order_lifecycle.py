"""A purchase order from an accepted handoff to its close, through the services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from baton.platform.errors import Conflict, ValidationFailed
from baton.procurement.orders import acknowledgements, drafting, receipts, release
from tests.support import orders as o
from tests.support import requirements as h


def test_a_draft_copies_the_handoff_lines_and_is_numbered_per_client(app, world):
    rid = o.accepted(app, world)
    first = o.load(app, o.draft(app, world, rid))
    second = o.load(app, o.draft(app, world))
    assert first.number == "ACME-000001"
    assert second.number == "ACME-000002"
    assert first.status == "draft"
    [line] = first.lines
    assert (line.item_code, line.quantity, line.unit_price) == (
        "BR-100",
        Decimal("250"),
        Decimal("3.85"),
    )
    assert first.total == Decimal("962.50")
    # The whole quantity is on an order now: nothing of it is left to order.
    assert o.ready_keys(app, world, rid) == []


def test_a_line_split_over_two_orders_leaves_the_rest_to_order(app, world):
    rid = o.accepted(app, world)
    po_id = o.draft(app, world, rid)
    with h.as_provider(app, world) as (session, _):
        drafting.update_draft(
            session,
            world.orgs["north"],
            po_id,
            {"lines": [{"line_no": 1, "quantity": "100"}]},
            expected_version=None,
        )
    [key] = o.ready_keys(app, world, rid)
    with h.as_provider(app, world) as (session, _):
        [ready] = [r for r in drafting.ready_lines(session, world.orgs["north"]) if r.key == key]
        assert ready.remaining == Decimal("150")
    second = o.load(app, o.draft(app, world, rid))
    assert second.lines[0].quantity == Decimal("150")


def test_a_stale_save_is_a_conflict_not_a_lost_update(app, world):
    po_id = o.draft(app, world)
    version = o.load(app, po_id).version
    with h.as_provider(app, world) as (session, _):
        drafting.update_draft(
            session,
            world.orgs["north"],
            po_id,
            {"notes": "Call before delivery"},
            expected_version=version,
        )
    with (
        pytest.raises(Conflict, match="changed by someone else"),
        h.as_provider(app, world) as (session, _),
    ):
        drafting.update_draft(
            session, world.orgs["north"], po_id, {"notes": "Other text"}, expected_version=version
        )
    assert o.load(app, po_id).notes == "Call before delivery"


def test_a_schedule_must_add_up_to_the_line_quantity(app, world):
    po_id = o.draft(app, world)
    when = (h.today() + timedelta(days=30)).isoformat()
    with pytest.raises(ValidationFailed) as exc, h.as_provider(app, world) as (session, _):
        drafting.update_draft(
            session,
            world.orgs["north"],
            po_id,
            {"lines": [{"line_no": 1, "schedule": [{"date": when, "quantity": "100"}]}]},
            expected_version=None,
        )
    assert "lines[1].schedule" in exc.value.errors
    later = (h.today() + timedelta(days=40)).isoformat()
    with h.as_provider(app, world) as (session, _):
        drafting.update_draft(
            session,
            world.orgs["north"],
            po_id,
            {
                "lines": [
                    {
                        "line_no": 1,
                        "schedule": [
                            {"date": when, "quantity": "100"},
                            {"date": later, "quantity": "150"},
                        ],
                    }
                ]
            },
            expected_version=None,
        )
    assert [d["quantity"] for d in o.load(app, po_id).lines[0].schedule] == ["100", "150"]


def test_below_the_threshold_an_order_is_approved_on_submission(app, world):
    po_id = o.draft(app, world)
    o.submit(app, world, po_id)
    po = o.load(app, po_id)
    assert po.status == "approved"
    assert po.required_approvals == 0


def test_a_drifted_price_needs_a_reason_and_the_clients_acceptance(app, world):
    po_id = o.draft(app, world)
    with h.as_provider(app, world) as (session, _):
        drafting.update_draft(
            session,
            world.orgs["north"],
            po_id,
            {"lines": [{"line_no": 1, "unit_price": "4.10"}]},
            expected_version=None,
        )
    with pytest.raises(ValidationFailed) as exc:
        o.submit(app, world, po_id)
    assert "Unit price: 3.85 → 4.10" in exc.value.errors["reason"]
    o.submit(app, world, po_id, reason="Zinc surcharge since the quote")
    po = o.load(app, po_id)
    assert (po.status, po.required_approvals) == ("pending_approval", 1)
    with pytest.raises(ValidationFailed) as exc:
        o.approve(app, world, po_id)
    assert "accept_exceptions" in exc.value.errors
    o.approve(app, world, po_id, accept_exceptions=True)
    assert o.load(app, po_id).status == "approved"


def test_the_whole_path_to_closed_moves_the_requirement_on(app, world):
    rid = o.accepted(app, world)
    po_id = o.draft(app, world, rid)
    o.submit(app, world, po_id)
    with h.as_provider(app, world) as (session, _):
        release.release(session, world.orgs["north"], po_id)
    assert h.load(app, rid).status == "ordered"
    with h.as_provider(app, world) as (session, _):
        po = session.get(release.PurchaseOrder, po_id)
        acknowledgements.acknowledge(
            session, po, [{"line_no": 1, "outcome": "accepted"}], source="email"
        )
    with h.as_provider(app, world) as (session, user_id):
        receipts.receive(
            session,
            world.orgs["north"],
            user_id,
            po_id,
            [{"line_no": 1, "quantity_received": "100"}],
        )
    assert o.load(app, po_id).status == "partially_received"
    with h.as_provider(app, world) as (session, user_id):
        receipts.receive(
            session,
            world.orgs["north"],
            user_id,
            po_id,
            [{"line_no": 1, "quantity_received": "150"}],
        )
    assert o.load(app, po_id).status == "received"
    with h.as_provider(app, world) as (session, _):
        receipts.close(session, world.orgs["north"], po_id)
    assert o.load(app, po_id).status == "closed"
    assert h.load(app, rid).status == "closed"


def test_over_receipt_beyond_the_tolerance_is_refused_and_changes_nothing(app, world):
    o.set_policy(app, world, "5000", receipt="2")
    po_id = o.released(app, world)
    with pytest.raises(ValidationFailed) as exc, h.as_provider(app, world) as (session, user_id):
        receipts.receive(
            session,
            world.orgs["north"],
            user_id,
            po_id,
            [{"line_no": 1, "quantity_received": "256"}],
        )
    assert "at most 255 more" in exc.value.errors["lines[1].quantity_received"]
    assert o.load(app, po_id).lines[0].received_quantity == 0
    with h.as_provider(app, world) as (session, user_id):
        receipts.receive(
            session,
            world.orgs["north"],
            user_id,
            po_id,
            [{"line_no": 1, "quantity_received": "255"}],
        )
    assert o.load(app, po_id).status == "received"


def test_cancelling_needs_a_reason_and_frees_the_quantity(app, world):
    rid = o.accepted(app, world)
    po_id = o.draft(app, world, rid)
    with pytest.raises(ValidationFailed), h.as_provider(app, world) as (session, _):
        release.cancel(session, world.orgs["north"], po_id, "  ")
    with h.as_provider(app, world) as (session, _):
        release.cancel(session, world.orgs["north"], po_id, "Client changed the design")
    assert o.load(app, po_id).status == "cancelled"
    assert len(o.ready_keys(app, world, rid)) == 1


def test_one_acknowledgement_per_revision_counts(app, world):
    po_id = o.released(app, world)
    with h.as_provider(app, world) as (session, _):
        po = session.get(release.PurchaseOrder, po_id)
        acknowledgements.acknowledge(
            session, po, [{"line_no": 1, "outcome": "accepted"}], source="phone"
        )
    with (
        pytest.raises(acknowledgements.AlreadyAcknowledged),
        h.as_provider(app, world) as (session, _),
    ):
        po = session.get(release.PurchaseOrder, po_id)
        acknowledgements.acknowledge(
            session, po, [{"line_no": 1, "outcome": "rejected", "note": "no"}], source="phone"
        )
    assert o.load(app, po_id).status == "acknowledged"


def test_a_line_beyond_the_ready_pages_first_requirements_can_still_be_ordered(
    app, world, monkeypatch
):
    soon = o.accepted(app, world, lines=[h.good_line(need_by=h.today() + timedelta(days=20))])
    later = o.accepted(app, world, lines=[h.good_line(need_by=h.today() + timedelta(days=400))])
    keys = o.ready_keys(app, world, later)
    monkeypatch.setattr(drafting, "READY_PAGE", 1)
    with h.as_provider(app, world) as (session, _):
        listed = {r.requirement.id for r in drafting.ready_lines(session, world.orgs["north"])}
    assert listed == {soon}  # the page lists the first one only
    with h.as_provider(app, world) as (session, user_id):
        po = drafting.create_draft(session, world.orgs["north"], user_id, keys)
        assert [line.requirement_id for line in po.lines] == [later]
