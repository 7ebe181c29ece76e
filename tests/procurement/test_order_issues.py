"""Order issues: raised by the buyer, routed to the client or the supplier,
answered in the thread, resolved; every move through the machine, with whom
the clock waits on recorded."""

from __future__ import annotations

import io
import uuid

import pytest

from baton.platform.errors import Conflict, ValidationFailed
from baton.procurement.orders import issues, links
from baton.procurement.orders.issue_states import ORDER_ISSUE
from tests.support import issues as i
from tests.support import orders as o
from tests.support import requirements as h
from tests.support.world import login

PDF = b"%PDF-1.4 drawing with the new tolerance"


def _as(app, who):
    web = app.test_client()
    login(web, who)
    return web


def _link(app, po_id) -> str:
    with h.service_session(app) as session, app.test_request_context():
        return links.token_for(session.get(links.PurchaseOrder, po_id))


def test_the_machine_says_whom_each_state_waits_on():
    assert ORDER_ISSUE.waits_on("open") == "provider"
    assert ORDER_ISSUE.waits_on("with_client") == "client"
    assert ORDER_ISSUE.waits_on("with_supplier") == "supplier"
    assert ORDER_ISSUE.waits_on("answered") == "provider"
    assert ORDER_ISSUE.waits_on("resolved") is None


def test_a_lifecycle_records_waiting_on_at_every_step(app, world):
    issue_id = i.raised(app, world)
    i.route(app, world, issue_id, "client")
    with h.as_client(app, world, who="acme_approver") as (session, user_id):
        issues.reply_as_client(
            session, world.orgs["acme"], user_id, issue_id, {"message": "Accept March."}
        )
    assert i.load(app, issue_id).status == "answered"
    i.route(app, world, issue_id, "supplier", "The client accepts March; confirm the date.")
    with h.as_provider(app, world) as (session, user_id):
        issues.resolve(session, world.orgs["north"], user_id, issue_id, "March it is.")
        issues.reopen(session, world.orgs["north"], issue_id, "Kessler slipped again.")
    trail = [(e.action, (e.changes or {}).get("waiting_on")) for e in i.events(app, issue_id)]
    assert trail == [
        ("order_issue.raised", [None, "provider"]),
        ("order_issue.route_to_client", ["provider", "client"]),
        ("order_issue.client_answer", ["client", "provider"]),
        ("order_issue.route_to_supplier", ["provider", "supplier"]),
        ("order_issue.resolve", ["supplier", None]),
        ("order_issue.reopen", [None, "provider"]),
    ]
    assert i.load(app, issue_id).status == "open"


def test_a_resolved_issue_takes_no_reply_and_a_wrong_move_is_refused(app, world):
    issue_id = i.raised(app, world)
    with h.as_provider(app, world) as (session, user_id):
        issues.resolve(session, world.orgs["north"], user_id, issue_id, "Sorted by phone.")
    with pytest.raises(Conflict), h.as_provider(app, world) as (session, user_id):
        issues.route(
            session, world.orgs["north"], user_id, issue_id, {"to": "client", "message": "x"}
        )
    with pytest.raises(Conflict), h.as_provider(app, world) as (session, user_id):
        issues.reply_as_provider(session, world.orgs["north"], user_id, issue_id, {"message": "x"})
    assert i.load(app, issue_id).status == "resolved"


def test_bad_input_names_the_field_and_changes_nothing(app, world):
    po_id = o.released(app, world)
    with pytest.raises(ValidationFailed) as refused, h.as_provider(app, world) as (s, user_id):
        issues.raise_issue(
            s,
            world.orgs["north"],
            user_id,
            po_id,
            {"cause": "weather", "title": "", "line_no": "9"},
        )
    assert set(refused.value.errors) == {"cause", "title", "message", "line_no"}
    buyer = _as(app, world.email("north_buyer"))
    page = buyer.post(
        f"/provider/orders/{po_id}/issues",
        data={"cause": "price", "title": "Line\r\nbreak", "message": "x\x00"},
    )
    assert page.status_code == 422 and "title" in page.text
    assert "No issues on this order" in buyer.get(f"/provider/orders/{po_id}").text


def test_the_client_is_asked_answers_with_a_file_and_hands_it_back(app, world):
    po_id = o.released(app, world)
    buyer = _as(app, world.email("north_buyer"))
    raised = buyer.post(
        f"/provider/orders/{po_id}/issues",
        data={
            "cause": "specification",
            "line_no": "1",
            "title": "Which tolerance?",
            "message": "Drawing and spec disagree.",
            "form_key": "raise-1",
            "file": (io.BytesIO(PDF), "drawing.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert raised.status_code == 302
    issue_page = raised.headers["Location"]
    issue_id = uuid.UUID(issue_page.rstrip("/").rsplit("/", 1)[-1])
    # The same form again raises nothing new.
    again = buyer.post(
        f"/provider/orders/{po_id}/issues",
        data={
            "cause": "specification",
            "title": "Which tolerance?",
            "message": "Again",
            "form_key": "raise-1",
        },
        follow_redirects=True,
    )
    assert "already sent" in again.text
    assert (
        buyer.post(
            f"/provider/issues/{issue_id}/route", data={"to": "client", "message": "Please decide."}
        ).status_code
        == 302
    )
    mails = h.mails_to(app, world.email("acme_sourcing"))
    assert any("Which tolerance?" in m["Subject"] for m in mails)
    client = _as(app, world.email("acme_sourcing"))
    home = client.get("/client/")
    assert "Which tolerance?" in home.text and 'data-testid="issues-waiting">1<' in home.text
    assert "Which tolerance?" in client.get("/client/issues").text
    assert "Which tolerance?" in client.get(f"/client/orders/{po_id}").text
    # The buyer's attachment downloads for the client too.
    messages = i.messages(app, issue_id)
    first = messages[0]
    got = client.get(f"/client/issues/{issue_id}/messages/{first.id}/attachment")
    assert got.status_code == 200 and got.data == PDF
    empty = client.post(f"/client/issues/{issue_id}/reply", data={"message": "  "})
    assert empty.status_code == 422 and "Write your reply" in empty.text
    answered = client.post(
        f"/client/issues/{issue_id}/reply",
        data={
            "message": "Use the drawing.",
            "file": (io.BytesIO(PDF), "note.pdf"),
            "form_key": "c1",
        },
        content_type="multipart/form-data",
    )
    assert answered.status_code == 302
    assert i.load(app, issue_id).status == "answered"
    assert any("Answer on" in m["Subject"] for m in h.mails_to(app, world.email("north_buyer")))
    reply = i.messages(app, issue_id)[-1]
    assert reply.author_kind == "client" and reply.document_revision_id
    got = buyer.get(f"/provider/issues/{issue_id}/messages/{reply.id}/attachment")
    assert got.status_code == 200 and got.data == PDF
    assert 'data-testid="issues-waiting">0<' in client.get("/client/").text
    # The order's timeline tells the story in words.
    order = buyer.get(f"/provider/orders/{po_id}").text
    assert "Issue raised" in order and "Client answered the issue" in order


def test_a_refused_file_names_the_field(app, world):
    issue_id = i.raised(app, world)
    buyer = _as(app, world.email("north_buyer"))
    sent = buyer.post(
        f"/provider/issues/{issue_id}/reply",
        data={"message": "See attached", "file": (io.BytesIO(b"MZ\x90\x00program"), "fix.pdf")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 422 and "file" in sent.text and "program" in sent.text
    assert len(i.messages(app, issue_id)) == 1


def test_the_supplier_answers_through_its_link_once(app, world):
    po_id = o.released(app, world)
    issue_id = i.raised(app, world, po_id)
    i.route(app, world, issue_id, "supplier", "Can you make 1 March?")
    supplier = app.test_client()
    token = _link(app, po_id)
    page = supplier.get(f"/supplier/orders/{token}")
    assert "Can you make 1 March?" in page.text
    # What the buyer wrote before routing (to nobody yet) is not the supplier's to read.
    assert "Kessler says late." not in page.text
    form = {"issue_id": str(issue_id), "message": "Yes, 1 March.", "form_key": "s-1"}
    assert supplier.post(f"/supplier/orders/{token}/issues", data=form).status_code == 302
    again = supplier.post(f"/supplier/orders/{token}/issues", data=form, follow_redirects=True)
    assert "already sent" in again.text
    thread = i.messages(app, issue_id)
    assert [m.author_kind for m in thread] == ["provider", "provider", "supplier_link"]
    assert i.load(app, issue_id).status == "answered"
    answer = [e for e in i.events(app, issue_id) if e.action == "order_issue.supplier_answer"]
    assert answer and answer[0].actor_kind == "supplier_link"
    number = o.load(app, po_id).number
    mails = [
        m
        for m in h.mails_to(app, "@supplier.example")
        if "Question on purchase order" in m["Subject"]
    ]
    assert any(number in m["Subject"] and "/supplier/orders/" in h.body_text(m) for m in mails)


def test_the_link_cannot_reach_another_orders_issue(app, world):
    po_id = o.released(app, world)
    other_issue = i.raised(app, world)  # on another order of the same client
    i.route(app, world, other_issue, "supplier")
    token = _link(app, po_id)
    sent = app.test_client().post(
        f"/supplier/orders/{token}/issues",
        data={"issue_id": str(other_issue), "message": "Hijack"},
    )
    assert sent.status_code == 404
    assert len(i.messages(app, other_issue)) == 2
    # Nor an issue of its own order that was never routed to the supplier.
    own = i.raised(app, world, po_id)
    sent = app.test_client().post(
        f"/supplier/orders/{token}/issues", data={"issue_id": str(own), "message": "Peek"}
    )
    assert sent.status_code == 404


def test_another_tenant_gets_404_for_issues(app, world):
    issue_id = i.raised(app, world)
    i.route(app, world, issue_id, "client")
    globex = _as(app, world.email("globex_admin"))
    assert globex.get(f"/client/issues/{issue_id}").status_code == 404
    assert globex.post(f"/client/issues/{issue_id}/reply", data={"message": "x"}).status_code == 404
    assert "Cannot ship" not in globex.get("/client/issues").text
    other = _as(app, world.email("other_admin"))
    assert other.get(f"/provider/issues/{issue_id}").status_code == 404


def test_the_provider_home_and_list_count_issues_by_whom_they_wait_on(app, world):
    waiting_on_me = i.raised(app, world)
    on_client = i.raised(app, world)
    i.route(app, world, on_client, "client")
    buyer = _as(app, world.email("north_buyer"))
    home = buyer.get("/provider/")
    assert 'data-testid="issues-waiting-provider">' in home.text
    listed = buyer.get("/provider/issues?waiting=client").text
    assert str(on_client) in listed and str(waiting_on_me) not in listed
    mine = buyer.get("/provider/issues?waiting=provider").text
    assert str(waiting_on_me) in mine and str(on_client) not in mine
    # Unknown filters are dropped, not errors.
    assert buyer.get("/provider/issues?status=lost&waiting=moon&page=x").status_code == 200
