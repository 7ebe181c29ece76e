"""The buyer's follow-up: late orders and lines in business time, chasing the
supplier by hand and on the schedule, and the engagement settings behind it."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from baton.platform.audit import AuditEvent
from baton.procurement.orders import acknowledgements, chasers, follow_up
from baton.procurement.orders.models import PurchaseOrder
from baton.procurement.orders.queries import get_for_provider
from baton.tenants.models import Engagement
from tests.support import orders as o
from tests.support import requirements as h
from tests.support.world import login

MONDAY_9 = datetime(2030, 1, 7, 9, tzinfo=UTC)  # a Monday, UTC (north's time zone)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def released_at(app, po_id, when: datetime) -> None:
    with h.service_session(app) as session:
        session.get(PurchaseOrder, po_id).released_at = when


def engagement(app, world, **values) -> uuid.UUID:
    eid = world.engagements["acme-north"]
    with h.service_session(app) as session:
        row = session.get(Engagement, eid)
        for name, value in values.items():
            setattr(row, name, value)
    return eid


def acknowledge(app, world, po_id, **line) -> None:
    with h.as_provider(app, world) as (session, user_id):
        po = get_for_provider(session, world.orgs["north"], po_id, lock=True)
        acknowledgements.acknowledge(
            session,
            po,
            [{"line_no": 1, "outcome": "accepted", **line}],
            source="email",
            entered_by_id=user_id,
        )


def items(app, world, now, kind=None):
    with h.as_provider(app, world) as (session, _):
        found = follow_up.late_items(session, world.orgs["north"], now=now)
        return [(i.po.id, i.late_hours, i.what) for i in found if kind is None or i.kind == kind]


def supplier_email(app, po_id) -> str:
    from baton.sourcing.suppliers.models import Supplier

    with h.service_session(app) as session:
        po = session.get(PurchaseOrder, po_id)
        return session.get(Supplier, po.supplier_id).contact_email


def chasers_to(app, address) -> list:
    return [m for m in h.mails_to(app, address) if m["Subject"].strip().startswith("Reminder")]


def test_an_unacknowledged_order_is_late_by_business_hours_beyond_the_target(app, world):
    late, answered = o.released(app, world), o.released(app, world)
    acknowledge(app, world, answered)
    for po_id in (late, answered):
        released_at(app, po_id, MONDAY_9)
    # Two working weeks, Monday 09:00 to the next Friday 13:00: 76 business hours,
    # 4 past the 72-hour target (the weekend in between counts nothing).
    found = items(app, world, at("2030-01-18T13:00"), follow_up.UNACKNOWLEDGED)
    assert [(po_id, hours) for po_id, hours, _ in found] == [(late, Decimal(4))]
    assert "72 business hours" in found[0][2] or "9 business days" in found[0][2]
    # Still within the target on the Thursday before: not listed.
    assert items(app, world, at("2030-01-17T16:00"), follow_up.UNACKNOWLEDGED) == []


def test_a_line_past_its_promised_date_counts_business_hours_since_the_date(app, world):
    po_id = o.released(app, world)
    acknowledge(app, world, po_id)
    with h.service_session(app) as session:
        session.get(PurchaseOrder, po_id).lines[0].promised_date = date(2030, 1, 11)  # Friday
    # Late from Saturday 00:00; Monday 8 h and Tuesday 09:00-11:00: 10 business hours.
    [(found, hours, what)] = items(app, world, at("2030-01-15T11:00"), follow_up.LATE_LINE)
    assert (found, hours) == (po_id, Decimal(10))
    assert "due 2030-01-11" in what and "0 of 250" in what


def test_the_follow_up_page_lists_the_order_and_another_provider_can_neither_see_nor_chase_it(
    app, world
):
    po_id = o.released(app, world)
    released_at(app, po_id, at("2020-01-06T09:00"))
    number = o.load(app, po_id).number
    buyer = app.test_client()
    login(buyer, world.email("north_buyer"))
    page = buyer.get("/provider/follow-up")
    assert page.status_code == 200 and number in page.text and "Not acknowledged" in page.text
    assert number not in buyer.get(f"/provider/follow-up?client={world.orgs['globex']}").text
    outsider = app.test_client()
    login(outsider, world.email("other_buyer"))
    assert number not in outsider.get("/provider/follow-up").text
    assert outsider.post(f"/provider/follow-up/{po_id}/chase").status_code == 404
    assert o.load(app, po_id).chase_count == 0
    assert chasers_to(app, supplier_email(app, po_id)) == []


def test_chasing_emails_the_supplier_once_with_the_link_and_logs_it(app, world):
    po_id = o.released(app, world)
    buyer = app.test_client()
    login(buyer, world.email("north_buyer"))
    response = buyer.post(f"/provider/follow-up/{po_id}/chase", data={"back": "order"})
    assert response.status_code == 302 and response.location.endswith(f"/provider/orders/{po_id}")
    po = o.load(app, po_id)
    assert po.chase_count == 1 and po.last_chased_at is not None
    [mail] = chasers_to(app, supplier_email(app, po_id))
    assert po.number in mail["Subject"]
    link = re.search(r"http\S*/supplier/orders/\S+", h.body_text(mail)).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    assert po.number in app.test_client().get(path).text
    page = buyer.get(f"/provider/orders/{po_id}")
    assert "Supplier chased" in page.text and "Chasers sent: 1" in page.text


def test_automatic_chasers_come_after_n_then_every_m_at_most_k_and_never_twice(app, world):
    eid = engagement(
        app,
        world,
        chase_after_hours=Decimal(8),
        chase_every_hours=Decimal(8),
        chase_max=2,
        chase_late_lines=False,
    )
    po_id = o.released(app, world)
    released_at(app, po_id, MONDAY_9)
    address = supplier_email(app, po_id)

    def scan(text: str, times: int = 1) -> None:
        with h.service_session(app) as session:
            for _ in range(times):
                chasers.emit_due_chasers(session, at(text), {eid})
            ids = session.info.pop("outbox_ids", [])
        with app.app_context():
            h.drain_inline(ids)

    scan("2030-01-07T16:45")  # 7.75 business hours: not yet
    assert o.load(app, po_id).chase_count == 0
    scan("2030-01-08T09:00", times=2)  # 8 hours; the slot fired twice
    assert o.load(app, po_id).chase_count == 1
    assert len(chasers_to(app, address)) == 1, [m["Subject"] for m in h.mails_to(app, address)]
    scan("2030-01-08T16:45")  # 7.75 hours since the first chaser
    assert o.load(app, po_id).chase_count == 1
    scan("2030-01-09T09:00")
    scan("2030-01-10T09:00")
    scan("2030-01-11T09:00")  # at most two
    po = o.load(app, po_id)
    assert po.chase_count == 2 and po.last_chased_at == at("2030-01-09T09:00")
    assert len(chasers_to(app, address)) == 2
    with h.service_session(app) as session:
        events = session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity_id == str(po_id), AuditEvent.action == "purchase_order.chased"
            )
        ).all()
    assert [e.changes["reason"][1] for e in events] == ["not acknowledged"] * 2


def test_an_acknowledged_order_is_not_chased_and_another_providers_order_not_scanned(app, world):
    eid = engagement(app, world, chase_after_hours=Decimal(1), chase_late_lines=False)
    po_id = o.released(app, world)
    released_at(app, po_id, MONDAY_9)
    acknowledge(app, world, po_id)
    with h.service_session(app) as session:
        assert chasers.due_chasers(session, at("2030-01-09T09:00"), {eid}) == []
        other = world.engagements["globex-other"]
        assert chasers.due_chasers(session, at("2030-01-09T09:00"), {other}) == []


def test_the_settings_form_names_each_bad_field_and_changes_nothing(app, world):
    eid = world.engagements["acme-north"]
    admin = app.test_client()
    login(admin, world.email("north_admin"))
    bad = {
        "timezone": "Mars/Olympus",
        "day_starts": "17:00",
        "day_ends": "09:00",
        "holiday_country": "XX",
        "days_off": "24.12.2027 Plant closed",
        "chase_after_hours": "-3",
        "chase_every_hours": "often",
        "chase_max": "99",
    }
    response = admin.post(f"/organisation/engagements/{eid}", data=bad)
    assert response.status_code == 422
    for field in ("Timezone", "Working days", "Day ends", "Holiday country", "Days off"):
        assert f"<strong>{field}:</strong>" in response.text, field
    for field in ("Chase after hours", "Chase every hours", "Chase max"):
        assert f"<strong>{field}:</strong>" in response.text, field
    with h.service_session(app) as session:
        row = session.get(Engagement, eid)
        assert (row.timezone, row.working_days, row.chase_max) == (None, "12345", 3)

    good = {
        "timezone": "Europe/Berlin",
        "working_days": ["1", "2", "3", "4", "5"],
        "day_starts": "08:00",
        "day_ends": "16:30",
        "holiday_country": "de",
        "holiday_subdivision": "by",
        "days_off": "2027-12-24 Plant closed\r\n2027-12-31  Inventory",
        "chase_after_hours": "",
        "chase_every_hours": "16",
        "chase_max": "4",
        "chase_late_lines": "1",
    }
    assert admin.post(f"/organisation/engagements/{eid}", data=good).status_code == 302
    assert admin.post(f"/organisation/engagements/{eid}", data=good).status_code == 302
    with h.service_session(app) as session:
        row = session.get(Engagement, eid)
        assert (row.holiday_country, row.holiday_subdivision, row.chase_max) == ("DE", "BY", 4)
        assert row.days_off == [
            {"date": "2027-12-24", "label": "Plant closed"},
            {"date": "2027-12-31", "label": "Inventory"},
        ]
        changed = session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity_id == str(eid), AuditEvent.action == "engagement.settings_changed"
            )
        ).all()
    assert len(changed) == 1  # the second, unchanged save recorded nothing

    client = app.test_client()
    login(client, world.email("acme_admin"))
    page = client.get(f"/organisation/engagements/{eid}")
    assert page.status_code == 200 and "Europe/Berlin" in page.text
    assert 'data-testid="save-engagement"' not in page.text
    assert client.post(f"/organisation/engagements/{eid}", data=good).status_code in (403, 404)
    buyer = app.test_client()
    login(buyer, world.email("north_buyer"))
    assert buyer.post(f"/organisation/engagements/{eid}", data=good).status_code == 403
    outsider = app.test_client()
    login(outsider, world.email("other_admin"))
    assert outsider.get(f"/organisation/engagements/{eid}").status_code == 404


def test_a_chaser_goes_out_over_smtp_once_even_when_its_job_runs_again(pg_app, monkeypatch):
    from baton.platform.db import db
    from baton.platform.job_sessions import job_context, tenant_body
    from baton.platform.outbox import OutboxMessage
    from baton.platform.tenancy import SERVICE_CONTEXT
    from tests.jobs.smtp import SMTPServer
    from tests.support.world import make_world

    app, world = pg_app, make_world(pg_app)
    server = SMTPServer().start()
    try:
        settings = app.config["BATON_SETTINGS"]
        for name, value in {
            "smtp_host": "127.0.0.1",
            "smtp_port": server.port,
            "smtp_starttls": False,
            "smtp_username": None,
            "smtp_password": None,
        }.items():
            monkeypatch.setattr(settings, name, value)
        po_id = o.released(app, world)
        address = supplier_email(app, po_id)
        buyer = app.test_client()
        login(buyer, world.email("north_buyer"))
        assert buyer.post(f"/provider/follow-up/{po_id}/chase").status_code == 302
        [received] = [m for m in server.recorder.to(address) if "Reminder" in m.subject]
        assert "/supplier/orders/" in received.raw.decode(errors="replace").replace("=\r\n", "")
        # The same job again (a retry after a crash): the mail ledger knows its key.
        with app.app_context():
            control = db.new_service_session(SERVICE_CONTEXT)
            row = control.scalars(
                sa.select(OutboxMessage).where(
                    OutboxMessage.job == chasers.MAIL_CHASER,
                    OutboxMessage.entity_id == str(po_id),
                )
            ).one()
            payload = dict(row.payload, _outbox_id=str(row.id))
            ctx = job_context(control, row.tenant_id, row.provider_id)
            control.close()
            with (
                app.test_request_context(base_url=settings.public_url),
                tenant_body(chasers.MAIL_CHASER, ctx) as session,
            ):
                chasers.mail_chaser(session, payload)
        assert len([m for m in server.recorder.to(address) if "Reminder" in m.subject]) == 1
    finally:
        server.stop()


@pytest.mark.postgres
def test_the_follow_up_page_costs_the_same_statements_for_one_late_order_or_four(pg_app):
    from tests.foundation.test_read_statements import counted
    from tests.support.world import make_world

    app, world = pg_app, make_world(pg_app)
    buyer = app.test_client()
    login(buyer, world.email("north_buyer"))

    def count() -> tuple[int, str]:
        buyer.get("/provider/follow-up")  # warm
        with counted(app) as statements:
            page = buyer.get("/provider/follow-up")
        assert page.status_code == 200
        return len(statements), page.text

    first = o.released(app, world)
    released_at(app, first, at("2020-01-06T09:00"))
    one, text = count()
    assert text.count('data-testid="late-unacknowledged"') == 1
    for _ in range(3):
        po_id = o.released(app, world)
        released_at(app, po_id, at("2020-01-06T09:00"))
    four, text = count()
    assert text.count('data-testid="late-unacknowledged"') == 4
    assert four == one


def test_the_demo_shows_its_unacknowledged_order_late_and_chased_once(tmp_path):
    from baton.platform.app import create_app
    from baton.platform.db import db
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
    try:
        assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
        buyer = app.test_client()
        login(buyer, "buyer1@northwind.example", "baton-demo-2026")
        page = buyer.get("/provider/follow-up")
        [row] = re.findall(r'<tr data-testid="late-unacknowledged">.*?</tr>', page.text, re.S)
        assert "ACME-000004" in row and "Acme Robotics" in row
        assert re.search(r'<td class="text-end">1</td>', row)  # one chaser sent
        reminders = [
            m
            for m in h.mails_to(app, "jonas.weber@kessler-praezision.example")
            if "Reminder" in m["Subject"]
        ]
        assert len(reminders) == 1
    finally:
        with app.app_context():
            db.dispose()


def test_a_shipment_notice_past_its_arrival_and_not_received_is_on_the_follow_up(app, world):
    from baton.platform.db import utcnow
    from baton.procurement.orders import receipts
    from tests.support import shipments as s

    late = s.acknowledged(app, world)
    s.send(app, world, late, "100", 12, 10)
    arrived = s.acknowledged(app, world)
    s.send(app, world, arrived, "100", 12, 10)
    with h.as_provider(app, world) as (session, user_id):
        receipts.receive(
            session,
            world.orgs["north"],
            user_id,
            arrived,
            [{"line_no": 1, "quantity_received": "100"}],
        )
    # Ten days back always holds working days, whatever today is.
    found = items(app, world, utcnow(), kind=follow_up.LATE_SHIPMENT)
    assert [po_id for po_id, _, _ in found if po_id in (late, arrived)] == [late]
    [(_, hours, what)] = [f for f in found if f[0] == late]
    assert hours > 0 and "UPS" in what and "not received" in what
    client = app.test_client()
    login(client, world.email("north_buyer"))
    page = client.get("/provider/follow-up").text
    assert "Shipment notice UPS" in page
