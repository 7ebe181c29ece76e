"""The client's side of the handoff: drafts, readiness on the page, submission,
snapshots, return and resubmission, cancellation, and the state machine."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from baton.platform.audit import AuditEvent
from baton.platform.errors import Conflict, Forbidden
from baton.procurement.handoff import review
from baton.sourcing.requirements import services, snapshot, states
from baton.sourcing.requirements.models import HandoffSnapshot, Requirement
from baton.tenants.calendars import Calendar, add_business_hours
from tests.support import requirements as h
from tests.support.world import login


def form_of(data: dict) -> dict:
    """The edit page's fields for ``data`` (as a browser would post them)."""
    form = {}
    for name in services.HEADER_FIELDS:
        value = data.get(name)
        form[name] = "" if value is None else str(value)
    form["line_count"] = str(len(data["lines"]))
    for i, line in enumerate(data["lines"]):
        p = f"lines-{i}-"
        for name in ("id", "item_code", "description", "quantity", "unit", "unit_price", "need_by"):
            value = line.get(name)
            form[p + name] = "" if value is None else str(value)
        if line.get("spec_required"):
            form[p + "spec_required"] = "on"
        form[p + "spec_revision_ids"] = [str(r) for r in line.get("spec_revision_ids", [])]
    return form


def requirement_id_from(response) -> uuid.UUID:
    parts = response.headers["Location"].rstrip("/").split("/")
    return uuid.UUID(parts[-2] if parts[-1] == "edit" else parts[-1])


@pytest.fixture
def sourcing(app, world):
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    return client


@pytest.fixture
def buyer(app, world):
    client = app.test_client()
    login(client, world.email("north_buyer"))
    return client


# --- drafts --------------------------------------------------------------------------------


def test_sourcing_user_creates_a_draft_and_sees_what_is_missing(app, world, sourcing):
    supplier = h.make_supplier(app, world, name="Bolt & Co")
    data = h.good_data(world, supplier, ship_to=None, lines=[h.good_line(unit_price=None)])
    response = sourcing.post("/client/requirements/new", data=form_of(data))
    assert response.status_code == 302
    rid = requirement_id_from(response)
    page = sourcing.get(f"/client/requirements/{rid}")
    assert "Draft" in page.text
    assert "Enter where the goods are to be delivered." in page.text
    assert "Line 1: enter the agreed unit price." in page.text
    assert 'data-ready="no"' in page.text
    req = h.load(app, rid)
    assert req.status == "draft" and req.provider_id == world.orgs["north"] and not req.ready


def test_the_edit_page_adds_and_removes_lines_without_saving(app, world, sourcing):
    rid = h.create_draft(app, world, h.good_data(world, h.make_supplier(app, world)))
    form = form_of(h.good_data(world, None, lines=[h.good_line(description="First")]))
    added = sourcing.post(f"/client/requirements/{rid}/edit", data=form | {"action": "add_line"})
    assert added.status_code == 200
    assert added.text.count('data-testid="line"') == 2
    removed = sourcing.post(
        f"/client/requirements/{rid}/edit", data=form | {"action": "remove_line:0"}
    )
    assert removed.text.count('data-testid="line"') == 0
    # Neither button saved anything.
    assert [line.description for line in h.load_lines(app, rid)] == ["Bracket, zinc plated"]


def test_saving_replaces_lines_keeps_ids_and_renumbers(app, world):
    data = h.good_data(
        world,
        h.make_supplier(app, world),
        lines=[h.good_line(description=d) for d in ("A", "B", "C")],
    )
    rid = h.create_draft(app, world, data)
    lines = h.load_lines(app, rid)
    keep_c, keep_a = lines[2], lines[0]
    data["lines"] = [
        h.good_line(id=keep_c.id, description="C"),
        h.good_line(description="D"),
        h.good_line(id=keep_a.id, description="A", quantity=Decimal("7")),
    ]
    with h.as_client(app, world) as (session, user_id):
        services.save_draft(session, world.orgs["acme"], user_id, data, rid)
    after = h.load_lines(app, rid)
    assert [(line.line_no, line.description) for line in after] == [(1, "C"), (2, "D"), (3, "A")]
    assert after[0].id == keep_c.id and after[2].id == keep_a.id
    assert after[2].quantity == Decimal("7")


def test_type_errors_name_the_line_and_field_and_save_nothing(app, world, sourcing):
    data = h.good_data(world, h.make_supplier(app, world))
    form = form_of(data) | {"lines-0-quantity": "a dozen", "lines-0-need_by": "soon"}
    response = sourcing.post("/client/requirements/new", data=form)
    assert response.status_code == 422
    assert 'data-field="lines[1].quantity"' in response.text
    assert "Enter a number, like 1,234.50." in response.text
    assert "Enter a date as YYYY-MM-DD" in response.text
    assert h.count_requirements(app, world.orgs["acme"]) == 0


def test_a_globex_spec_revision_or_supplier_is_refused_as_not_found(app, world, sourcing):
    globex_rev = h.make_spec(app, world, "globex")[0]
    globex_supplier = h.make_supplier(app, world, "globex")
    data = h.good_data(world, globex_supplier, lines=[h.good_line(spec_revision_ids=[globex_rev])])
    response = sourcing.post("/client/requirements/new", data=form_of(data))
    assert response.status_code == 422
    assert "No such supplier in your supplier list (not found)." in response.text
    assert f"specification revision {globex_rev} not found" in response.text
    assert h.count_requirements(app, world.orgs["acme"]) == 0


def test_only_active_engagements_of_this_client_can_be_chosen(app, world, sourcing):
    supplier = h.make_supplier(app, world)
    globex_engagement = world.engagements["globex-other"]
    response = sourcing.post(
        "/client/requirements/new",
        data=form_of(h.good_data(world, supplier, engagement_id=globex_engagement)),
    )
    assert response.status_code == 422
    assert "No such provider engagement." in response.text
    h.set_engagement_status(app, world.engagements["acme-north"], "suspended")
    response = sourcing.post("/client/requirements/new", data=form_of(h.good_data(world, supplier)))
    assert response.status_code == 422
    assert "The engagement is suspended; choose an active provider." in response.text


def test_spec_revisions_attach_to_lines_and_show_in_the_packet(app, world):
    rev1, rev2 = h.make_spec(app, world, revisions=2)
    data = h.good_data(
        world,
        h.make_supplier(app, world),
        lines=[h.good_line(spec_required=True, spec_revision_ids=[rev2])],
    )
    rid = h.create_draft(app, world, data)
    h.submit(app, world, rid)
    with h.service_session(app) as session:
        snap = session.scalar(
            sa.select(HandoffSnapshot).where(HandoffSnapshot.requirement_id == rid)
        )
        spec = snap.payload["lines"][0]["specs"][0]
    assert spec["revision_id"] == str(rev2) and spec["revision_no"] == 2
    assert spec["filename"] == "bracket-r2.pdf"


def test_viewers_and_approvers_read_but_cannot_write(app, world):
    rid = h.create_draft(app, world, h.good_data(world, h.make_supplier(app, world)))
    for who in ("acme_viewer", "acme_approver"):
        client = app.test_client()
        login(client, world.email(who))
        assert client.get(f"/client/requirements/{rid}").status_code == 200
        assert client.get("/client/requirements/new").status_code == 403
        assert client.post(f"/client/requirements/{rid}/submit").status_code == 403
    assert h.load(app, rid).status == "draft"


def test_the_readiness_preview_judges_unsaved_form_data(app, world, sourcing):
    supplier = h.make_supplier(app, world, currency="USD", name="Yankee Parts")
    form = form_of(h.good_data(world, supplier, currency="EUR"))
    response = sourcing.post("/client/requirements/readiness-preview", data=form)
    assert response.status_code == 200
    assert "The price is in EUR, but Yankee Parts invoices in USD." in response.text
    response = sourcing.post(
        "/client/requirements/readiness-preview", data=form | {"currency": "USD"}
    )
    assert 'data-ready="yes"' in response.text
    assert h.count_requirements(app, world.orgs["acme"]) == 0


# --- submission and snapshots ---------------------------------------------------------------


def test_submit_freezes_a_verifiable_snapshot_and_starts_the_sla_clock(app, world, sourcing):
    rid = h.create_draft(app, world, h.good_data(world, h.make_supplier(app, world)))
    response = sourcing.post(f"/client/requirements/{rid}/submit")
    assert response.status_code == 302
    req = h.load(app, rid)
    assert req.status == "submitted" and req.ready
    # 48 business hours on north's calendar (UTC, Monday to Friday, 09:00-17:00).
    calendar = Calendar(timezone="UTC")
    assert req.sla_due_at == add_business_hours(calendar, req.submitted_at, 48)
    with h.service_session(app) as session:
        snap = session.get(HandoffSnapshot, req.current_snapshot_id)
        canonical = json.dumps(
            snap.payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        assert snap.sha256 == hashlib.sha256(canonical.encode()).hexdigest()
        assert snap.version == 1
        line = snap.payload["lines"][0]
        assert line["quantity"] == "250" and line["unit_price"] == "3.85"
        assert snap.payload["requirement"]["quote_valid_until"] == req.quote_valid_until.isoformat()
    # Edits are no longer possible while the provider has it.
    assert sourcing.get(f"/client/requirements/{rid}/edit").status_code == 302
    with pytest.raises(Conflict), h.as_client(app, world) as (session, user_id):
        services.save_draft(session, world.orgs["acme"], user_id, h.good_data(world, None), rid)


def test_the_provider_sees_the_submission_in_its_audit_log_but_not_the_draft_edits(app, world):
    rid = h.submitted(app, world)
    with h.as_provider(app, world) as (session, _uid):
        actions = list(
            session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity_id == str(rid)))
        )
    assert "requirement.submit" in actions
    assert "requirement.created" not in actions


def test_submission_emails_the_providers_buyers(app, world):
    rid = h.submitted(app, world)
    mails = h.mails_to(app, world.email("north_buyer"))
    assert mails, "the buyer got no email"
    assert "New handoff from Acme" in mails[-1]["Subject"]
    assert f"/provider/requirements/{rid}" in h.body_text(mails[-1])
    assert not h.mails_to(app, world.email("other_buyer"))


def test_return_resubmit_makes_a_new_snapshot_with_a_diff(app, world, sourcing, buyer):
    rid = h.submitted(app, world)
    buyer.get(f"/provider/requirements/{rid}")
    response = buyer.post(
        f"/provider/requirements/{rid}/return",
        data={
            "reasons-0-code": "price_not_valid",
            "reasons-0-field": "lines[1].unit_price",
            "reasons-0-comment": "The quote says 4.10",
        },
    )
    assert response.status_code == 302
    page = sourcing.get(f"/client/requirements/{rid}")
    assert "Returned by the provider" in page.text
    assert 'data-field="lines[1].unit_price"' in page.text
    assert "Price not valid — The quote says 4.10" in page.text
    mails = h.mails_to(app, world.email("acme_sourcing"))
    assert mails and "Returned by North" in mails[-1]["Subject"]
    assert "The quote says 4.10" in h.body_text(mails[-1])

    edit = sourcing.get(f"/client/requirements/{rid}/edit")
    assert "Returned: Price not valid — The quote says 4.10" in edit.text
    req = h.load(app, rid)
    data = h.input_data(app, rid)
    data["lines"][0]["unit_price"] = Decimal("4.10")
    response = sourcing.post(
        f"/client/requirements/{rid}/edit", data=form_of(data) | {"action": "submit"}
    )
    assert response.status_code == 302
    req = h.load(app, rid)
    assert req.status == "submitted"
    with h.service_session(app) as session:
        snaps = session.scalars(
            sa.select(HandoffSnapshot)
            .where(HandoffSnapshot.requirement_id == rid)
            .order_by(HandoffSnapshot.version)
        ).all()
        assert [s.version for s in snaps] == [1, 2]
        assert req.current_snapshot_id == snaps[1].id
        first, second = snaps
    diff_page = sourcing.get(f"/client/requirements/{rid}/snapshots/{second.id}")
    assert diff_page.status_code == 200
    assert "Changes from v1 to v2" in diff_page.text
    assert 'data-field="lines[1].unit_price"' in diff_page.text
    assert "content matches its digest" in diff_page.text
    changes = snapshot.diff(first.payload, second.payload)
    assert [(c.field, c.before, c.after) for c in changes] == [
        ("lines[1].unit_price", "3.85", "4.1")
    ]
    # The earlier snapshot stays as it was.
    old = sourcing.get(f"/client/requirements/{rid}/snapshots/{first.id}")
    assert "3.85" in old.text


def test_time_spent_returned_does_not_count_against_the_provider(app, world):
    supplier = h.make_supplier(app, world)
    with time_machine.travel(datetime(2030, 1, 7, 10, tzinfo=UTC), tick=False):  # a Monday
        rid = h.submitted(app, world, supplier)
    due = h.load(app, rid).sla_due_at
    with (
        time_machine.travel(datetime(2030, 1, 7, 12, tzinfo=UTC), tick=False),
        h.as_provider(app, world) as (session, uid),
    ):
        review.return_requirement(
            session, world.orgs["north"], uid, rid, [{"code": "other", "comment": "Call me"}]
        )
    # The client takes five business hours to answer.
    with time_machine.travel(datetime(2030, 1, 7, 17, tzinfo=UTC), tick=False):
        h.submit(app, world, rid)
    moved = h.load(app, rid).sla_due_at - due
    calendar = Calendar(timezone="UTC")
    assert due.replace(tzinfo=UTC) == add_business_hours(
        calendar, datetime(2030, 1, 7, 10, tzinfo=UTC), 48
    )
    assert moved == timedelta(hours=5)


def test_cancel_from_any_open_state_and_never_after(app, world, sourcing):
    rid = h.submitted(app, world)
    response = sourcing.post(f"/client/requirements/{rid}/cancel", data={"reason": "Not needed"})
    assert response.status_code == 302
    assert h.load(app, rid).status == "cancelled"
    again = sourcing.post(f"/client/requirements/{rid}/submit", follow_redirects=True)
    assert "cancelled; it cannot be submitted" in again.text
    assert h.load(app, rid).status == "cancelled"


# --- the state machine ---------------------------------------------------------------------


def test_the_transition_table_matches_the_design():
    table = {a: (set(t.sources), t.target) for a, t in states.REQUIREMENT.transitions.items()}
    assert table["submit"] == ({"draft", "returned"}, "submitted")
    assert table["start_review"] == ({"submitted"}, "in_review")
    assert table["accept"] == ({"in_review"}, "accepted")
    assert table["return"] == ({"submitted", "in_review"}, "returned")
    assert table["cancel"] == (set(states.REQUIREMENT.group("open")), "cancelled")


@pytest.mark.parametrize("action", sorted(states.REQUIREMENT.transitions))
def test_every_move_the_table_does_not_allow_is_refused_and_changes_nothing(app, world, action):
    move = states.REQUIREMENT.transitions[action]
    supplier = h.make_supplier(app, world)
    for status in states.REQUIREMENT.labels:
        rid = h.create_draft(app, world, h.good_data(world, supplier))
        with h.service_session(app) as session:
            session.get(Requirement, rid).status = status
        with h.service_session(app) as session:
            req = session.get(Requirement, rid)
            before = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
            if status in move.sources:
                services.transition(session, req, action, side=move.side, notify=False)
                assert req.status == move.target
                continue
            with pytest.raises(Conflict):
                services.transition(session, req, action, side=move.side, notify=False)
            assert req.status == status
            assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == before
        with h.service_session(app) as session:
            req = session.get(Requirement, rid)
            other = "client" if move.side != "client" else "provider"
            with pytest.raises((Forbidden, Conflict)):
                services.transition(session, req, action, side=other, notify=False)
