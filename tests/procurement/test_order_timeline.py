"""An order's timeline reads in words for every step of its life: who, what,
and each change as before → after."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from baton.procurement.orders import approvals, drafting, receipts, release
from tests.procurement.test_open_orders import _ack, _receive
from tests.support import orders as o
from tests.support import requirements as h
from tests.support.world import login


def _timeline(app, who: str, path: str) -> list[str]:
    web = app.test_client()
    login(web, who)
    page = web.get(path).text
    block = page[page.index('data-testid="po-timeline"') :]
    block = block[: block.index("</ol>")]
    items = re.findall(r"<li[^>]*>(.*?)</li>", block, flags=re.S)
    return [
        re.sub(r"\s+;", ";", re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", i)))).strip()
        for i in items
    ]


def test_every_step_of_an_order_reads_in_words(app, world):
    o.set_policy(app, world, "100", "500")
    po_id = o.draft(app, world)
    with h.as_provider(app, world) as (session, _):
        drafting.update_draft(
            session,
            world.orgs["north"],
            po_id,
            {"lines": [{"line_no": 1, "unit_price": "4.10"}]},
            expected_version=None,
        )
    o.submit(app, world, po_id, reason="Zinc surcharge")
    with h.as_client(app, world, who="acme_approver") as (session, user_id):
        approvals.decide(
            session, world.orgs["acme"], user_id, po_id, approve=False, comment="Too dear"
        )
    o.submit(app, world, po_id, reason="Zinc surcharge, agreed by phone")
    o.approve(app, world, po_id, accept_exceptions=True)
    o.approve(app, world, po_id, who="acme_admin", accept_exceptions=True)
    with h.as_provider(app, world) as (session, _):
        release.release(session, world.orgs["north"], po_id)
    _ack(app, world, po_id, (h.today() + timedelta(days=20)).isoformat())
    _receive(app, world, po_id, "50", rejected="5")
    _receive(app, world, po_id, "200")
    with h.as_provider(app, world) as (session, _):
        receipts.close(session, world.orgs["north"], po_id)

    lines = _timeline(app, world.email("acme_sourcing"), f"/client/orders/{po_id}")
    text = "\n".join(lines)
    for expected in (
        "North Buyer — Order drafted",
        "Total: — → 962.50",
        "Line 1 unit price: 3.85 → 4.1",
        "Total: 962.50 → 1,025.00",
        "Submitted for approval; Status: Draft → Awaiting approval",
        "Waiting on: the provider → the client",
        "Acme Approver — Rejected",
        "Comment: — → Too dear",
        "Acme Approver — Approved (another approval is still needed); Approvals: 0 → 1",
        "Acme Admin — Approved; Status: Awaiting approval → Approved",
        "Released to the supplier",
        "Waiting on: the provider → the supplier",
        "Acknowledged; Status: Released → Acknowledged; Source: — → email",
        "Outcomes: — → line 1 changed",
        "Supplier's changes accepted; Line 1 promised date: — →",
        "Goods received; Line 1 received: 0 → 50; Line 1 rejected: — → 5",
        "Partially received",
        "Goods received; Line 1 received: 50 → 250",
        "Received in full",
        "Closed; Status: Received → Closed",
    ):
        assert expected in text, (expected, lines)
    # Newest first, and no step shows a raw code.
    assert lines[0].split("—", 1)[1].strip().startswith("Closed")
    assert "purchase_order." not in text and "pending_approval" not in text


def test_a_withdrawn_link_and_a_cancellation_read_in_words(app, world):
    po_id = o.released(app, world)
    with h.as_provider(app, world) as (session, _):
        from baton.procurement.orders import links, queries

        links.revoke(session, queries.get_for_provider(session, world.orgs["north"], po_id))
    with h.as_provider(app, world) as (session, _):
        release.cancel(session, world.orgs["north"], po_id, "No longer needed")
    text = "\n".join(_timeline(app, world.email("north_buyer"), f"/provider/orders/{po_id}"))
    assert "Supplier link withdrawn; Supplier link: active → withdrawn" in text
    assert "Cancelled; Status: Released → Cancelled" in text
    assert "Reason: — → No longer needed" in text
