"""Properties of the purchase-order machine and of receiving against an order."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from baton.platform.errors import Conflict, Forbidden, ValidationFailed
from baton.platform.workflow import CLIENT, PROVIDER, SUPPLIER
from baton.procurement.orders import receipts
from baton.procurement.orders.change_states import CHANGE_ORDER
from baton.procurement.orders.states import PURCHASE_ORDER
from tests.support import orders as o
from tests.support import requirements as h

ACTIONS = list(PURCHASE_ORDER.transitions)
SIDES = [CLIENT, PROVIDER, SUPPLIER, None]


@settings(max_examples=300, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(ACTIONS), st.sampled_from(SIDES)), max_size=30))
def test_no_sequence_of_actions_reaches_a_state_the_table_does_not_allow(steps):
    po = SimpleNamespace(status="draft")
    reachable = {"draft"} | {t.target for t in PURCHASE_ORDER.transitions.values()}
    for action, side in steps:
        before = po.status
        try:
            t = PURCHASE_ORDER.move(po, action, side)
        except (Conflict, Forbidden):
            assert po.status == before
            continue
        assert before in t.sources and po.status == t.target in reachable
        assert side is None or t.side in (None, side)
        # Nothing comes back from closed or cancelled.
        assert before not in ("closed", "cancelled")
        # A change order's revision replaces one still to be delivered, and
        # always needs the supplier's answer again.
        if action == "revise":
            assert before in PURCHASE_ORDER.group("changeable") and po.status == "released"


@settings(max_examples=300, derandomize=True)
@given(
    st.lists(
        st.tuples(st.sampled_from(list(CHANGE_ORDER.transitions)), st.sampled_from(SIDES)),
        max_size=30,
    )
)
def test_no_sequence_of_change_order_actions_escapes_its_table(steps):
    change = SimpleNamespace(status="draft")
    for action, side in steps:
        before = change.status
        try:
            t = CHANGE_ORDER.move(change, action, side)
        except (Conflict, Forbidden):
            assert change.status == before
            continue
        assert before in t.sources and change.status == t.target
        assert side is None or t.side in (None, side)
        # Released and withdrawn change orders are finished.
        assert not CHANGE_ORDER.in_group("finished", before)
        # Only the client approves or rejects; only the provider releases.
        if action in ("approve", "reject"):
            assert t.side == CLIENT
        if action == "release":
            assert before == "approved" and t.side == PROVIDER


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.integers(min_value=0, max_value=300), min_size=1, max_size=6))
def test_received_quantity_never_exceeds_the_order_plus_tolerance(app, world, amounts):
    po_id = o.released(app, world)
    limit = Decimal("250")  # the default tolerance is 0 %
    for amount in amounts:
        try:
            with h.as_provider(app, world) as (session, user_id):
                receipts.receive(
                    session,
                    world.orgs["north"],
                    user_id,
                    po_id,
                    [{"line_no": 1, "quantity_received": str(amount)}],
                )
        except (ValidationFailed, Conflict):
            pass
        line = o.load(app, po_id).lines[0]
        assert line.received_quantity <= limit
    po = o.load(app, po_id)
    assert (po.status == "received") == (po.lines[0].received_quantity == limit)
