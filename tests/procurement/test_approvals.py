"""Who may approve an order, how many must, and what the client sees."""

from __future__ import annotations

from decimal import Decimal

import pytest

from baton.platform.errors import Conflict, Forbidden, ValidationFailed
from baton.procurement.orders import approvals, drafting
from tests.support import orders as o
from tests.support import requirements as h
from tests.support.world import login


def _big_draft(app, world):
    """962.50 EUR: above a 500 threshold, and above 900 for two approvers."""
    o.set_policy(app, world, "500", "900")
    return o.draft(app, world)


def test_two_approvers_are_two_people_and_never_the_drafting_buyer(app, world):
    po_id = _big_draft(app, world)
    o.submit(app, world, po_id)
    assert o.load(app, po_id).required_approvals == 2
    o.approve(app, world, po_id, who="acme_approver")
    # The same person again counts for nothing.
    with pytest.raises(Conflict, match="already decided"):
        o.approve(app, world, po_id, who="acme_approver")
    assert o.load(app, po_id).status == "pending_approval"
    o.approve(app, world, po_id, who="acme_admin")
    assert o.load(app, po_id).status == "approved"


def test_the_buyer_who_drafted_it_cannot_approve_even_as_a_client_member(app, world):
    po_id = _big_draft(app, world)
    o.submit(app, world, po_id)
    buyer_id = o.load(app, po_id).buyer_id
    with (
        pytest.raises(Forbidden, match="drafted"),
        h.as_client(app, world, who="acme_approver") as (session, _),
    ):
        approvals.decide(session, world.orgs["acme"], buyer_id, po_id, approve=True)
    assert o.load(app, po_id).status == "pending_approval"


def test_a_rejection_needs_a_comment_and_sends_the_order_back_to_draft(app, world):
    po_id = _big_draft(app, world)
    o.submit(app, world, po_id)
    with (
        pytest.raises(ValidationFailed) as exc,
        h.as_client(app, world, who="acme_approver") as (s, uid),
    ):
        approvals.decide(s, world.orgs["acme"], uid, po_id, approve=False)
    assert "comment" in exc.value.errors
    with h.as_client(app, world, who="acme_approver") as (s, uid):
        approvals.decide(
            s, world.orgs["acme"], uid, po_id, approve=False, comment="Use the framework price"
        )
    assert o.load(app, po_id).status == "draft"
    # Submitted again, it is a new round: the same approver decides afresh.
    o.submit(app, world, po_id)
    o.approve(app, world, po_id, who="acme_approver")
    o.approve(app, world, po_id, who="acme_admin")
    assert o.load(app, po_id).status == "approved"


def test_approvers_are_emailed_and_the_inbox_lists_what_waits_for_them(app, world):
    po_id = _big_draft(app, world)
    o.submit(app, world, po_id)
    number = o.load(app, po_id).number
    [mail] = [m for m in h.mails_to(app, world.email("acme_approver")) if number in m["Subject"]]
    assert f"/client/orders/{po_id}" in h.body_text(mail)
    web = app.test_client()
    login(web, world.email("acme_approver"))
    inbox = web.get("/client/approvals")
    assert number in inbox.text
    page = web.get(f"/client/orders/{po_id}")
    assert page.status_code == 200 and "Approve" in page.text
    # A sourcing user sees the order but holds no approval.
    sourcing = app.test_client()
    login(sourcing, world.email("acme_sourcing"))
    assert sourcing.post(f"/client/orders/{po_id}/approve", data={}).status_code == 403


def test_splitting_one_need_under_the_threshold_is_flagged_to_the_client(app, world):
    o.set_policy(app, world, "600")
    rid = o.accepted(app, world)
    first = o.draft(app, world, rid)
    with h.as_provider(app, world) as (session, _):
        drafting.update_draft(
            session,
            world.orgs["north"],
            first,
            {"lines": [{"line_no": 1, "quantity": "125"}]},
            expected_version=None,
        )
    second = o.draft(app, world, rid)
    o.submit(app, world, second)
    assert o.load(app, second).status == "approved"  # 481.25: under 600 on its own
    with h.as_client(app, world, who="acme_approver") as (session, _):
        po = session.get(approvals.PurchaseOrder, second)
        warning = approvals.split_warning(session, po)
    assert warning is not None and warning.combined == Decimal("962.50")


def test_the_client_never_sees_the_providers_drafts(app, world):
    po_id = o.draft(app, world)
    web = app.test_client()
    login(web, world.email("acme_admin"))
    assert web.get(f"/client/orders/{po_id}").status_code == 404
