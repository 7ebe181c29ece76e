"""Supplier scorecards as the client sees them: history made at past moments
through the real services, rolled up, then read on the pages and the API.

The history, for one supplier of acme (business hours 9-17 UTC, Mon-Fri):

* two months ago, order A: acknowledged 2 business hours after release,
  received in full 2 days before its promised date (on time in full);
* last month, order B: acknowledged after 5 business hours; 200 arrive 3
  days late and 25 of them are rejected, the other 75 come 5 days late
  (late; the receipt policy lets 10 % more arrive than was ordered);
* last month, order C: acknowledged with a later date (a change request),
  received in full on that date (on time in full).

So over 3 months: OTIF 2 of 3 = 66.7 %, acknowledgement median 4 hours
(2, 4 and 5), lead-time variance -2, +5, 0 days: mean +1.0, stddev 3.6;
rejected 25 of 775 received = 3.2 %; one change request.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from baton.platform.audit import AuditEvent
from baton.platform.db import db, utc_today
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.procurement.handoff import review
from baton.procurement.orders import acknowledgements, policy, receipts, release
from baton.procurement.orders.models import PurchaseOrder
from baton.procurement.sla import rollup
from tests.support import orders as o
from tests.support import requirements as h
from tests.support.world import login


def _month(n_back: int) -> date:
    today = utc_today()
    index = today.year * 12 + today.month - 1 - n_back
    return date(index // 12, index % 12 + 1, 1)


def _monday(n_back: int) -> date:
    """A Monday early in the month ``n_back`` months ago, leaving room in it."""
    day = _month(n_back) + timedelta(days=2)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _order(app, world, supplier_id, day: date) -> uuid.UUID:
    """Handed off, accepted, drafted and released at 10:00 on ``day``; need-by ``day`` + 10."""
    with time_machine.travel(_at(day, 10), tick=False):
        line = h.good_line(need_by=day + timedelta(days=10))
        rid = h.create_draft(app, world, h.good_data(world, supplier_id, lines=[line]))
        # Ten days is short notice: a warning the client confirms.
        h.submit(app, world, rid, accept_warnings=True)
        with h.as_provider(app, world) as (session, user_id):
            review.accept(session, world.orgs["north"], user_id, rid)
        po_id = o.draft(app, world, rid)
        o.submit(app, world, po_id)
        with h.as_provider(app, world) as (session, _):
            release.release(session, world.orgs["north"], po_id)
        return po_id


def _ack(app, world, po_id, at: datetime, outcome="accepted", promised=None) -> None:
    with time_machine.travel(at, tick=False), h.as_provider(app, world) as (session, _):
        po = session.get(PurchaseOrder, po_id)
        line = {"line_no": 1, "outcome": outcome}
        if promised:
            line["promised_date"] = promised.isoformat()
        acknowledgements.acknowledge(session, po, [line], source="email")
        if outcome == "changed":
            acknowledgements.accept_changes(session, world.orgs["north"], po_id)


def _receive(app, world, po_id, day: date, got: str, rejected: str = "0") -> None:
    line = {"line_no": 1, "quantity_received": got}
    if rejected != "0":
        line |= {"quantity_rejected": rejected, "reject_reason": "Burrs on the edges"}
    with time_machine.travel(_at(day, 11), tick=False), h.as_provider(app, world) as (s, uid):
        receipts.receive(s, world.orgs["north"], uid, po_id, [line], reference="DN-1")


def _roll(app, world) -> None:
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            rollup.run(session, tenant_ids={world.orgs["acme"], world.orgs["globex"]})
            session.commit()
        finally:
            session.close()


def _history(app, world) -> tuple[uuid.UUID, dict[str, uuid.UUID]]:
    o.set_policy(app, world, "5000", receipt="10")
    supplier_id = h.make_supplier(app, world, name=f"Kessler {world.suffix}")
    a_day, b_day = _monday(2), _monday(1)
    a = _order(app, world, supplier_id, a_day)
    _ack(app, world, a, _at(a_day, 12))
    _receive(app, world, a, a_day + timedelta(days=8), "250")
    b = _order(app, world, supplier_id, b_day)
    _ack(app, world, b, _at(b_day, 15))
    _receive(app, world, b, b_day + timedelta(days=13), "200", rejected="25")
    _receive(app, world, b, b_day + timedelta(days=15), "75")
    c = _order(app, world, supplier_id, b_day + timedelta(days=1))
    _ack(app, world, c, _at(b_day + timedelta(days=1), 14), "changed", b_day + timedelta(days=15))
    _receive(app, world, c, b_day + timedelta(days=15), "250")
    _roll(app, world)
    return supplier_id, {"A": a, "B": b, "C": c}


def _number(app, po_id) -> str:
    return o.load(app, po_id).number


def _as(app, who: str):
    web = app.test_client()
    login(web, who)
    return web


def _set_threshold(app, world, value: str) -> None:
    with h.as_client(app, world, who="acme_admin") as (session, _):
        current = policy.policy_for(session, world.orgs["acme"])
        data = {name: getattr(current, name) for name in policy.FIELDS}
        policy.update_policy(session, world.orgs["acme"], data | {"otif_threshold_percent": value})


def test_the_client_reads_the_scorecard_and_drills_to_the_orders(app, world):
    supplier_id, pos = _history(app, world)
    web = _as(app, world.email("acme_viewer"))

    detail = web.get(f"/client/suppliers/{supplier_id}")
    assert detail.status_code == 200
    assert f'href="/client/suppliers/{supplier_id}/scorecard"' in detail.text
    assert "66.7 %" in detail.text and "(2/3 lines)" in detail.text

    page = web.get(f"/client/suppliers/{supplier_id}/scorecard")
    assert page.status_code == 200
    text = page.text
    assert "66.7 %" in text and "4.0 business h" in text and "+1.0 days ± 3.6" in text
    assert "3.2 %" in text and "Change requests" in text
    # Last month on its own: B late, C on time: 50 %; 25 of 525 rejected.
    last = _month(1).strftime("%Y-%m")
    row = text[text.index(f'data-month="{last}"') :].split("</tr>")[0]
    assert "50.0 %" in row and "4.8 %" in row and "1/2" in row
    # Below the default threshold of 90 %: flagged.
    assert 'data-testid="otif-flag"' in text

    late = web.get(f"/client/suppliers/{supplier_id}/scorecard/behind?figure=otif&month={last}")
    assert late.status_code == 200
    assert f"{_number(app, pos['B'])} line 1" in late.text
    assert "late: completed 5 days late" in late.text
    assert f"/client/orders/{pos['B']}" in late.text
    assert _number(app, pos["A"]) not in late.text
    changes = web.get(f"/client/suppliers/{supplier_id}/scorecard/behind?figure=changes&window=3")
    assert "acknowledged with changes to line 1" in changes.text
    assert f"/client/orders/{pos['C']}" in changes.text
    rejected = web.get(
        f"/client/suppliers/{supplier_id}/scorecard/behind?figure=rejection&window=12"
    )
    assert "received 200, rejected 25 (Burrs on the edges)" in rejected.text

    bad = web.get(f"/client/suppliers/{supplier_id}/scorecard/behind?figure=otif&month=13-2026")
    assert bad.status_code == 400 and "YYYY-MM" in bad.text
    unknown = web.get(f"/client/suppliers/{supplier_id}/scorecard/behind?figure=price")
    assert unknown.status_code == 400 and "figure" in unknown.text


def test_the_api_gives_the_same_figures(app, world):
    supplier_id, _pos = _history(app, world)
    headers = h.api_headers(app, world.orgs["acme"], "viewer")
    response = app.test_client().get(f"/api/v1/suppliers/{supplier_id}/scorecard", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json
    three = body["last_3_months"]
    assert (three["otif_percent"], three["deliveries_judged"]) == ("66.7", 3)
    assert three["ack_median_hours"] == "4.0" and three["ack_rate_percent"] == "100.0"
    assert (three["lead_time_mean_days"], three["lead_time_stddev_days"]) == ("1.0", "3.6")
    assert three["rejection_percent"] == "3.2"
    assert (three["changed_acknowledgements"], three["change_requests"]) == (1, 1)
    assert body["flagged"] is True and body["otif_threshold_percent"] == "90.0"
    months = {m["month"]: m for m in body["months"]}
    assert len(months) == 12
    assert months[_month(2).strftime("%Y-%m")]["otif_percent"] == "100.0"
    assert months[_month(1).strftime("%Y-%m")]["otif_percent"] == "50.0"


def test_the_supplier_list_flags_under_the_threshold_not_at_it(app, world):
    supplier_id, _pos = _history(app, world)
    steady = h.make_supplier(app, world, name=f"Steady {world.suffix}")
    web = _as(app, world.email("acme_sourcing"))

    def flagged() -> bool:
        page = web.get(f"/client/suppliers/?q={world.suffix}")
        row = page.text[page.text.index(f"Kessler {world.suffix}") :].split("</tr>")[0]
        steady_row = page.text[page.text.index(f"Steady {world.suffix}") :].split("</tr>")[0]
        assert "otif-flag" not in steady_row  # nothing delivered: nothing to flag
        return "otif-flag" in row

    assert flagged()  # 66.7 % under the default 90 %
    _set_threshold(app, world, "66.7")
    assert not flagged()  # at the threshold is not under it
    _set_threshold(app, world, "66.8")
    assert flagged()
    assert steady


def test_the_threshold_is_validated_and_audited(app, world):
    o.set_policy(app, world, "5000")
    admin = _as(app, world.email("acme_admin"))
    form = {
        "currency": "EUR",
        "one_approver_above": "5000",
        "two_approvers_above": "",
        "change_tolerance_percent": "5",
        "receipt_tolerance_percent": "0",
    }
    for bad, words in (("101", "above 100"), ("abc", "not a number"), ("85.25", "1 after")):
        refused = admin.post("/client/approval-policy", data=form | {"otif_threshold_percent": bad})
        assert refused.status_code == 422 and words in refused.text
    page = admin.get("/client/approval-policy")
    assert 'name="otif_threshold_percent" value="90"' in page.text
    assert 'name="one_approver_above" value="5000"' in page.text  # not 5E+3
    saved = admin.post("/client/approval-policy", data=form | {"otif_threshold_percent": "92.5"})
    assert saved.status_code == 302
    admin.post("/client/approval-policy", data=form | {"otif_threshold_percent": "92.50"})
    with h.service_session(app) as session:
        events = session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.tenant_id == world.orgs["acme"],
                AuditEvent.action == "approval_policy.updated",
            )
            .order_by(AuditEvent.seq)
        ).all()
    threshold = [
        e.changes["otif_threshold_percent"] for e in events if "otif_threshold_percent" in e.changes
    ]
    # Set with the policy, then changed once: the unchanged re-save records nothing.
    assert threshold == [[None, "90"], ["90", "92.5"]]
    # A viewer may read it, not change it.
    viewer = _as(app, world.email("acme_viewer"))
    assert viewer.post("/client/approval-policy", data=form).status_code in (403, 404)


def test_another_tenants_supplier_is_not_found(app, world):
    supplier_id = h.make_supplier(app, world)
    web = _as(app, world.email("globex_admin"))
    assert web.get(f"/client/suppliers/{supplier_id}/scorecard").status_code == 404
    behind = f"/client/suppliers/{supplier_id}/scorecard/behind?figure=otif"
    assert web.get(behind).status_code == 404
    headers = h.api_headers(app, world.orgs["globex"], "admin")
    api = app.test_client().get(f"/api/v1/suppliers/{supplier_id}/scorecard", headers=headers)
    assert api.status_code == 404


@pytest.mark.parametrize("missing", [uuid.UUID(int=7)])
def test_a_missing_supplier_is_not_found(app, world, missing):
    web = _as(app, world.email("acme_admin"))
    assert web.get(f"/client/suppliers/{missing}/scorecard").status_code == 404


def test_the_scorecard_page_reads_in_constant_statements(pg_app, pg_world):
    from sqlalchemy import event

    app, world = pg_app, pg_world
    supplier_id, _pos = _history(app, world)
    web = _as(app, world.email("acme_viewer"))

    def statements(url: str) -> int:
        web.get(url)  # warm
        seen: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert web.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(seen)

    urls = [
        f"/client/suppliers/{supplier_id}/scorecard",
        f"/client/suppliers/{supplier_id}",
        f"/client/suppliers/{supplier_id}/scorecard/behind?figure=otif&window=12",
        f"/client/suppliers/?q={world.suffix}",
    ]
    before = [statements(url) for url in urls]
    more = _order(app, world, supplier_id, _monday(1) + timedelta(days=2))
    _ack(app, world, more, _at(_monday(1) + timedelta(days=2), 16))
    _receive(app, world, more, _monday(1) + timedelta(days=9), "250", rejected="5")
    _roll(app, world)
    assert [statements(url) for url in urls] == before


@pytest.fixture
def demo_app(tmp_path):
    """A seeded demo instance of its own (the demo's organisation names are fixed)."""
    from baton.platform.app import create_app
    from baton.platform.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'baton.sqlite3'}"
    upgrade(url)
    app = create_app(
        {
            "instance_path": tmp_path / "instance",
            "database_url": url,
            "service_database_url": url,
            "migration_database_url": url,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
        }
    )
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    yield app
    with app.app_context():
        db.dispose()


def test_the_demo_has_sla_history_with_breaches_of_each_party(demo_app):
    from baton.procurement.sla.models import SlaMeasure, SlaMonthly
    from baton.sourcing.suppliers.models import Supplier

    with h.service_session(demo_app) as session:
        parties = set(
            session.scalars(
                sa.select(SlaMeasure.breach_party).where(SlaMeasure.breach_party.is_not(None))
            )
        )
        months = set(
            session.scalars(sa.select(SlaMonthly.period).where(SlaMonthly.period < _month(0)))
        )
        suppliers = {s.code: s.id for s in session.scalars(sa.select(Supplier))}
    assert parties == {"provider", "client", "supplier"}
    assert {_month(n) for n in range(1, 5)} <= months

    web = demo_app.test_client()
    login(web, "admin@acme.example", "baton-demo-2026")
    listed = web.get("/client/suppliers/").text

    def row(code: str) -> str:
        return listed[listed.index(code) :].split("</tr>")[0]

    assert "otif-flag" in row("BLM-2040") and "otif-flag" not in row("KES-1001")
    card = web.get(f"/client/suppliers/{suppliers['BLM-2040']}/scorecard")
    assert card.status_code == 200 and 'data-testid="otif-flag"' in card.text
