"""Words on the requirement pages, in emails and in the logs: what fits the
status and the reader, counts that agree with their number, and history and
audit entries in words and names rather than codes, ids and Python values."""

from __future__ import annotations

import html
import re

import pytest

from baton.procurement.handoff import review
from baton.sourcing.requirements import services
from tests.handoff.test_import import header_row, line_row, to_csv, upload
from tests.support import requirements as h
from tests.support.world import login

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def _signed_in(app, email):
    client = app.test_client()
    login(client, email)
    return client


def visible(page: str) -> str:
    """The text a person reads: no tags, attributes, scripts or styles."""
    body = page.split("<main", 1)[-1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return re.sub(r"\s+", " ", text).replace(" :", ":")


def _accepted(app, world, **overrides):
    rid = h.submitted(app, world, **overrides)
    with h.as_provider(app, world) as (session, user_id):
        review.accept(session, world.orgs["north"], user_id, rid)
    return rid


@pytest.mark.parametrize("how", ["accepted", "cancelled"])
def test_a_settled_requirement_is_neither_ready_to_hand_off_nor_due(app, world, how):
    if how == "accepted":
        rid = _accepted(app, world)
    else:
        rid = h.submitted(app, world)
        with h.as_client(app, world) as (session, user_id):
            services.cancel(session, world.orgs["acme"], user_id, rid)
    label = how.capitalize()
    page = visible(
        _signed_in(app, world.email("acme_sourcing")).get(f"/client/requirements/{rid}").text
    )
    assert "Ready to hand off" not in page and "due for release" not in page
    assert f"{label}; nothing is left to hand off." in page
    review_page = visible(
        _signed_in(app, world.email("north_buyer")).get(f"/provider/requirements/{rid}").text
    )
    assert "release due" not in review_page and "Ready to accept" not in review_page
    assert f"{label}; nothing is left to review." in review_page


def test_a_handed_off_requirement_says_so_rather_than_ready_to_hand_off(app, world):
    rid = h.submitted(app, world)
    page = visible(
        _signed_in(app, world.email("acme_sourcing")).get(f"/client/requirements/{rid}").text
    )
    assert "Handed off; ready for the provider to accept." in page
    assert "Ready to hand off" not in page and "due for release by" in page


def test_the_conditional_supplier_warning_is_worded_for_its_reader(app, world):
    supplier = h.make_supplier(app, world, status="conditional")
    rid = h.create_draft(app, world, h.good_data(world, supplier))
    h.submit(app, world, rid, accept_warnings=True)
    client_page = visible(
        _signed_in(app, world.email("acme_sourcing")).get(f"/client/requirements/{rid}").text
    )
    assert "Make sure the buyer knows the conditions" in client_page
    assert "Check the client's assumptions" not in client_page
    buyer_page = visible(
        _signed_in(app, world.email("north_buyer")).get(f"/provider/requirements/{rid}").text
    )
    assert "Check the client's assumptions for the conditions before you order." in buyer_page
    assert "Make sure the buyer knows" not in buyer_page
    headers = h.api_headers(app, world.orgs["north"], "buyer")
    item = app.test_client().get(f"/api/v1/queue/{rid}", headers=headers).json
    messages = [f["message"] for f in item["readiness"]["findings"]]
    assert any("Check the client's assumptions" in m for m in messages)


def test_empty_payment_terms_leave_just_the_incoterm(app, world):
    rid = h.submitted(app, world, payment_terms=None, incoterms="DAP")
    for who, url in (
        ("acme_sourcing", f"/client/requirements/{rid}"),
        ("north_buyer", f"/provider/requirements/{rid}"),
    ):
        page = _signed_in(app, world.email(who)).get(url).text
        assert re.search(r'data-testid="terms">DAP<', page), url
        assert "— · DAP" not in page


def test_one_imported_requirement_is_one_requirement_in_the_email(app, world):
    h.make_supplier(app, world, code="BOLT")
    sourcing = _signed_in(app, world.email("acme_sourcing"))
    rows = [header_row("ONE-1", "BOLT") | line_row("ONE-1", 1)]
    upload(sourcing, to_csv(rows), submit=True)
    mail = h.mails_to(app, world.email("north_buyer"))[-1]
    assert mail["Subject"].startswith("1 new handoff from")
    text = h.body_text(mail)
    assert "1 requirement to" in text and "1 requirements" not in text


# --- history and audit log in words ---------------------------------------------------


@pytest.fixture
def worked(app, world):
    """A requirement whose supplier and specification were changed, then handed
    off, reviewed and returned with reasons: every kind of value in its history."""
    first = h.make_supplier(app, world, name="First Forge")
    second = h.make_supplier(app, world, name="Second Smelter")
    spec = h.make_spec(app, world)[0]
    rid = h.create_draft(app, world, h.good_data(world, first))
    data = h.good_data(
        world,
        second,
        client_reference=h.load(app, rid).client_reference,
        lines=[h.good_line(spec_required=True, spec_revision_ids=[spec])],
    )
    with h.as_client(app, world) as (session, user_id):
        services.save_draft(session, world.orgs["acme"], user_id, data, rid)
    h.submit(app, world, rid)
    with h.as_provider(app, world) as (session, user_id):
        review.open_review(session, world.orgs["north"], user_id, rid)
        review.return_requirement(
            session,
            world.orgs["north"],
            user_id,
            rid,
            [{"code": "price_not_valid", "field": "lines[1].unit_price", "comment": "Too high"}],
        )
    return {"id": rid, "spec": spec}


def _no_codes(text: str) -> None:
    assert not UUID.search(text), UUID.search(text).group(0)
    for raw in ("in_review", "requirement.", "supplier_id", "['", "{'", "[]", "None"):
        assert raw not in text, raw


def test_a_requirements_history_reads_in_words_and_names(app, world, worked):
    rid = worked["id"]
    number = h.document_number(app, worked["spec"])
    page = _signed_in(app, world.email("acme_sourcing")).get(f"/client/requirements/{rid}").text
    history = visible(page.split('data-testid="timeline"', 1)[1])
    _no_codes(history)
    assert "Review started by North Buyer" in history
    assert "Status: Submitted → In review" in history
    assert "Supplier: First Forge → Second Smelter" in history
    assert f"Line 1 specs: — → {number} rev 1" in history
    assert "Reasons: — → Price not valid (Line 1 unit price): Too high" in history


def test_the_audit_log_reads_in_words_and_names(app, world, worked):
    for who in ("acme_admin", "north_admin"):
        log = visible(_signed_in(app, world.email(who)).get("/organisation/audit").text)
        _no_codes(log)
        assert "Returned to the client" in log and "Status: In review → Returned" in log
        reference = h.load(app, worked["id"]).client_reference
        assert f"{reference} — Brackets for line 3" in log
