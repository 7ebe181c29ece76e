"""The client's SLA dashboard, from a March built at chosen times (tests/support/sla.py):
a handoff released late on the provider's time, a return answered late by the
client, an order acknowledged late by the supplier."""

from __future__ import annotations

import csv
import io
import re
import uuid

import pytest
from openpyxl import load_workbook

from tests.foundation.test_read_statements import counted
from tests.support import sla_march as sla
from tests.support.world import login, make_world

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def march(pg_app):
    """One world and its March, read (never changed) by every test here."""
    world = make_world(pg_app)
    return world, sla.march(pg_app, world)


def _web(app, world, who="acme_admin"):
    web = app.test_client()
    login(web, world.email(who))
    return web


def _text(response) -> str:
    body = response.get_data(as_text=True)
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("&#39;", "'")


def _rows(response, testid: str) -> list[str]:
    """The text of each row of the table marked ``data-testid``."""
    body = response.get_data(as_text=True)
    table = body.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.split(">", 1)[1])).strip()
        for row in table.split("<tr")[1:]
    ]


def test_targets_against_actuals_with_breaches_by_whose_time(pg_app, march):
    world, _history = march
    page = _web(pg_app, world).get("/client/sla?period=2026-03")
    assert page.status_code == 200
    targets = {row.split(" (")[0]: row for row in _rows(page, "sla-targets")[1:]}
    release = targets["Requirements released as POs"]
    # Both handoffs missed 16 business hours on the provider's own time.
    assert "95.0 % of requirements released as purchase orders within 2 business days" in release
    assert "0.0 %" in release and "Provider: 2" in release and "missed" in release
    ack = targets["POs acknowledged"]
    assert "Supplier: 1" in ack and "within 1 business day of release" in ack
    answered = targets["Returned requirements answered"]
    assert "Client (you): 1" in answered and "within 4 business hours" in answered
    assert "nothing judged" in targets["On time in full"]


def test_the_other_figures_of_the_month_in_business_time(pg_app, march):
    world, _history = march
    page = _web(pg_app, world).get("/client/sla?period=2026-03")
    figures = {row.split("  ")[0]: row for row in _rows(page, "sla-figures")}
    text = " | ".join(figures.values())
    # Pump seals: Friday 15:00 to Tuesday 16:00 is 17 business hours (8 a day).
    assert "Handoff to release median 2 business days 1 h" in text
    assert "Return rate 50.0 % 1 of 2 review decisions returned" in text
    assert "Your answer to a return median 2 business days" in text
    # Released Tuesday 16:00, acknowledged Thursday 12:00: 12 business hours.
    assert "Acknowledgement latency median 1 business day 4 h" in text
    assert "Acknowledgement rate 100.0 % 1 of 1 released orders acknowledged" in text
    assert "Overdue open lines 0" in text
    causes = page.get_data(as_text=True).split('data-testid="causes-review_decision"')[1]
    assert "Missing specification" in causes.split("</ul>")[0]


def test_the_months_credit_and_the_breach_list(pg_app, march):
    world, history = march
    page = _web(pg_app, world).get("/client/sla?period=2026-03")
    text = _text(page)
    # 5 % of a 10,000 EUR fee for the missed release target (the only one with a credit).
    assert "SLA credit for March 2026: €500.00" in text or "SLA credit for March 2026: 500" in text
    assert "Requirements released as POs (0.0 % against 95.0 %, credit 5.00 %)" in text
    breaches = _rows(page, "sla-breaches")[1:]
    assert any("Pump seals Handoff to release 2 business days 1 h Provider" in b for b in breaches)
    assert any(
        "Gaskets Client answer to a return 2 business days Client (you) Missing specification" in b
        for b in breaches
    )
    assert any(
        f"{history.po_number} Acknowledgement 1 business day 4 h Supplier" in b for b in breaches
    )
    body = page.get_data(as_text=True)
    assert f'href="/client/orders/{history.late_po}"' in body
    assert f'href="/client/requirements/{history.late_release}"' in body


def test_a_month_without_figures_reads_as_nothing_measured(pg_app, march):
    world, _history = march
    page = _web(pg_app, world).get("/client/sla?period=2026-02")
    assert page.status_code == 200
    assert "No breaches this month." in _text(page)
    assert "SLA credit" not in _text(page)


def test_the_trend_covers_twelve_months_as_a_table_and_chart_data(pg_app, march):
    world, _history = march
    page = _web(pg_app, world).get("/client/sla?period=2026-03")
    rows = _rows(page, "sla-trend-table")[1:]
    assert len(rows) == 12 and rows[0].startswith("Apr 2025") and rows[-1].startswith("Mar 2026")
    assert "0.0 %" in rows[-1] and "17.0" in rows[-1]
    body = page.get_data(as_text=True)
    assert 'id="sla-trend"' in body and '"Mar 2026"' in body
    assert "/client/sla/charts.js" in body


def test_drill_down_from_a_breach_count_to_the_order(pg_app, march):
    world, history = march
    web = _web(pg_app, world)
    page = web.get("/client/sla?period=2026-03")
    engagement = world.engagements["acme-north"]
    link = (
        f"/client/sla/measures?engagement={engagement}&amp;period=2026-03"
        "&amp;only=breaches&amp;metric=acknowledgement"
    )
    assert link in page.get_data(as_text=True)
    drill = web.get(link.replace("&amp;", "&"))
    assert drill.status_code == 200
    rows = _rows(drill, "sla-measures")[1:]
    assert len(rows) == 1 and history.po_number in rows[0] and "Supplier" in rows[0]
    order = web.get(f"/client/orders/{history.late_po}")
    assert order.status_code == 200 and history.po_number in order.get_data(as_text=True)
    # Judged handoffs: both, each linking to its requirement.
    judged = web.get(
        f"/client/sla/measures?engagement={engagement}&period=2026-03"
        "&metric=handoff_to_release&only=judged"
    )
    assert len(_rows(judged, "sla-measures")) == 3
    assert f"/client/requirements/{history.late_answer}" in judged.get_data(as_text=True)


def test_the_drill_down_exports_as_csv_and_xlsx_with_formulas_neutralised(pg_app, march):
    world, history = march
    web = _web(pg_app, world)
    query = f"engagement={world.engagements['acme-north']}&period=2026-03&only=breaches"
    response = web.get(f"/client/sla/measures/export?{query}&format=csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('sla-measures-2026-03.csv"')
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Subject", "Metric", "Month"]
    by_subject = {(r[0], r[1]): r for r in rows[1:]}
    assert len(rows) == 5
    # The client's reference "=SUM(1,2)" is text, never a formula.
    gaskets = by_subject[("'=SUM(1,2) Gaskets", "Client answer to a return")]
    assert gaskets[12] == "Client (you)" and gaskets[13] == "Missing specification"
    assert by_subject[(history.po_number, "Acknowledgement")][12] == "Supplier"
    book = web.get(f"/client/sla/measures/export?{query}&format=xlsx")
    sheet = load_workbook(io.BytesIO(book.get_data())).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    gasket_cells = [c for c in cells if c.value == "=SUM(1,2) Gaskets"]
    assert gasket_cells and all(c.data_type == "s" for c in gasket_cells)


def test_the_months_figures_export(pg_app, march):
    world, _history = march
    web = _web(pg_app, world)
    engagement = world.engagements["acme-north"]
    response = web.get(f"/client/sla/export?engagement={engagement}&period=2026-03&format=csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    by_name = {r[0]: r for r in rows[1:]}
    release = by_name["Target: Requirements released as POs"]
    assert release[3:7] == ["95", "0", "0", "2"] and "Provider 2" in release[2]
    assert by_name["Return rate"][1] == "50.0 %"
    assert by_name["SLA credit"][1] == "500"
    book = web.get(f"/client/sla/export?engagement={engagement}&period=2026-03&format=xlsx")
    sheet = load_workbook(io.BytesIO(book.get_data())).active
    assert sheet.cell(1, 1).value == "Figure"


def test_the_monthly_report_pdf(pg_app, march):
    from pypdf import PdfReader

    world, history = march
    web = _web(pg_app, world)
    response = web.get(
        f"/client/sla/report.pdf?engagement={world.engagements['acme-north']}&period=2026-03"
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.get_data())).pages)
    text = re.sub(r"\s+", " ", text)
    assert "Service levels March 2026" in text
    assert "SLA credit: 500.00 EUR" in text
    assert "Pump seals" in text and history.po_number in text
    assert "Supplier" in text and "Client (you)" in text


def test_the_report_is_emailed_to_admins_on_the_first_business_day(pg_app, march):
    from pypdf import PdfReader

    from baton.platform.db import db
    from baton.platform.jobs import drain_inline
    from baton.platform.outbox import emit
    from baton.platform.schedules import by_name
    from baton.platform.tenancy import SERVICE_CONTEXT
    from tests.support.requirements import mails_to

    world, _history = march
    assert by_name("sla-monthly-report").local_hour == 7

    def run(day: str) -> None:
        with pg_app.app_context():
            session = db.new_service_session(SERVICE_CONTEXT)
            try:
                row = emit(
                    session,
                    "procurement.sla_monthly_report",
                    {"tenant_id": str(world.orgs["acme"]), "local_date": day},
                    tenant_id=world.orgs["acme"],
                )
                session.commit()
            finally:
                session.close()
            drain_inline([row.id])

    run("2026-04-02")  # a Thursday, not the month's first working day
    assert mails_to(pg_app, world.email("acme_admin")) == []
    run("2026-04-01")  # Wednesday 1 April: the report of March
    run("2026-04-01")  # a second run sends nothing more
    sent = mails_to(pg_app, world.email("acme_admin"))
    assert len(sent) == 1
    assert sent[0]["Subject"].startswith("Service levels March 2026")
    (pdf,) = [p for p in sent[0].iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == "sla-report-2026-03.pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.get_content())).pages)
    assert "Service levels March 2026" in text
    others = mails_to(pg_app, world.email("acme_sourcing"))
    assert not [m for m in others if "Service levels" in m["Subject"]]  # admins only


def test_the_first_working_day_skips_weekends_and_days_off():
    from datetime import date, time

    from baton.procurement.sla.report_mail import first_working_day
    from baton.tenants.calendars import Calendar

    calendar = Calendar(
        timezone="Europe/Berlin",
        working_days=frozenset({1, 2, 3, 4, 5}),
        day_starts=time(9),
        day_ends=time(17),
        holiday_country="DE",
        holiday_subdivision=None,
        days_off=frozenset({date(2026, 8, 3)}),
    )
    assert first_working_day(calendar, date(2026, 8, 1)) == date(2026, 8, 4)  # Sat, Sun, day off
    assert first_working_day(calendar, date(2027, 1, 1)) == date(2027, 1, 4)  # New Year, weekend


def test_the_api_gives_months_with_standing_and_the_measures(pg_app, march):
    from tests.support.requirements import api_headers

    world, history = march
    headers = api_headers(pg_app, world.orgs["acme"], "viewer")
    web = pg_app.test_client()
    months = web.get("/api/v1/sla/months?from=2026-02&to=2026-03", headers=headers)
    assert months.status_code == 200, months.get_data(as_text=True)
    body = months.get_json()
    assert body["page"] == 1 and body["has_next"] is False
    march_, february = body["items"]
    assert march_["period"] == "2026-03" and february["period"] == "2026-02"
    release = {t["metric"]: t for t in march_["targets"]}["handoff_to_release"]
    assert release["compliance_percent"] == "0.0" and release["missed"] is True
    assert release["breaches"] == {"provider": 2, "client": 0, "supplier": 0}
    assert march_["credit"]["amount"] == "500.00" and march_["credit"]["currency"] == "EUR"
    assert february["figures"] == [] and february["credit"] is None
    measures = web.get(
        "/api/v1/sla/measures?period=2026-03&only=breaches&metric=acknowledgement",
        headers=headers,
    )
    (item,) = measures.get_json()["items"]
    assert item["po_id"] == str(history.late_po) and item["breach_party"] == "supplier"
    bad = web.get("/api/v1/sla/months?from=2026-13", headers=headers)
    assert bad.status_code == 422 and "from" in bad.get_json()["errors"]


def test_another_tenants_engagement_answers_404(pg_app, march):
    from tests.support.requirements import api_headers

    world, _history = march
    web = _web(pg_app, world)
    foreign = world.engagements["globex-other"]
    for path in (
        f"/client/sla?engagement={foreign}",
        f"/client/sla/measures?engagement={foreign}&period=2026-03",
        f"/client/sla/measures/export?engagement={foreign}&format=csv",
        f"/client/sla/export?engagement={foreign}&format=csv",
        f"/client/sla/report.pdf?engagement={foreign}",
        f"/client/sla?engagement={uuid.uuid4()}",
        "/client/sla?engagement=not-an-id",
    ):
        assert web.get(path).status_code == 404, path
    headers = api_headers(pg_app, world.orgs["acme"], "viewer")
    api = pg_app.test_client().get(f"/api/v1/sla/months?engagement_id={foreign}", headers=headers)
    assert api.status_code == 404
    # A provider does not see the client's dashboard at all.
    assert _web(pg_app, world, "north_admin").get("/client/sla").status_code == 404


def test_bad_input_names_the_field(pg_app, march):
    world, _history = march
    web = _web(pg_app, world)
    month = web.get("/client/sla?period=2026-13")
    assert month.status_code == 422 and "YYYY-MM" in month.get_data(as_text=True)
    only = web.get(f"/client/sla/measures?engagement={world.engagements['acme-north']}&only=x")
    assert only.status_code == 422 and "breaches, judged" in only.get_data(as_text=True)
    fmt = web.get("/client/sla/export?format=pdf")
    assert fmt.status_code == 422


def test_the_dashboard_costs_the_same_statements_for_a_full_and_an_empty_month(pg_app, march):
    world, _history = march
    web = _web(pg_app, world)

    def count(path: str) -> tuple[int, list[str]]:
        web.get(path)
        with counted(pg_app) as statements:
            response = web.get(path)
        assert response.status_code == 200
        return len(statements), statements

    full, listing = count("/client/sla?period=2026-03")
    empty, _ = count("/client/sla?period=2025-06")
    assert full == empty, listing


def test_the_embedded_sqlite_mode_shows_the_same_figures(pg_app, sqlite_app, march):
    world, _history = march
    lite_world = make_world(sqlite_app)
    sla.march(sqlite_app, lite_world)
    pages = [
        _web(app, w).get("/client/sla?period=2026-03")
        for app, w in ((pg_app, world), (sqlite_app, lite_world))
    ]
    for testid in ("sla-targets", "sla-figures", "sla-trend-table"):
        assert _rows(pages[0], testid) == _rows(pages[1], testid), testid
    breaches = [sorted(r.split(" ", 1)[1] for r in _rows(p, "sla-breaches")[1:]) for p in pages]
    assert breaches[0] == breaches[1]


def test_chart_js_is_served_from_the_package_and_the_page_reads_without_it(pg_app, march):
    from baton.client_portal.sla import views

    world, _history = march
    web = _web(pg_app, world)
    script = web.get("/client/sla/chart.js")
    if views.CHART_JS.is_file():
        assert script.status_code == 200 and b"Chart" in script.get_data()[:2000]
    else:
        assert script.status_code == 404
    assert web.get("/client/sla/charts.js").status_code == 200
    saved = views.CHART_JS
    views.CHART_JS = saved.with_name("missing.js")
    try:
        page = web.get("/client/sla?period=2026-03")
    finally:
        views.CHART_JS = saved
    body = page.get_data(as_text=True)
    assert "/client/sla/chart.js" not in body
    assert len(_rows(page, "sla-trend-table")) == 13  # the figures, as a table


def test_a_late_receipt_changes_last_months_otif_after_the_next_rollup(pg_app, pg_world):
    from datetime import UTC, date, datetime

    from baton.procurement.handoff import review
    from baton.procurement.orders import acknowledgements, receipts, release
    from tests.support import orders as o
    from tests.support import requirements as h

    app, world = pg_app, pg_world
    with sla.at(2, 9):
        line = h.good_line(need_by=date(2026, 3, 20))
        rid = h.submitted(app, world, lines=[line])
        with h.as_provider(app, world) as (session, uid):
            review.accept(session, world.orgs["north"], uid, rid)
        po_id = o.draft(app, world, rid)
        o.submit(app, world, po_id)
        with h.as_provider(app, world) as (session, uid):
            release.release(session, world.orgs["north"], po_id)
    with sla.at(3, 10), h.as_provider(app, world) as (session, uid):
        acknowledgements.record_for_buyer(
            session, world.orgs["north"], uid, po_id, [{"line_no": 1, "outcome": "accepted"}],
            source="email", note=None,
        )  # fmt: skip
    with sla.at(1, 6, month=4):
        sla.roll_up(app, world, datetime(2026, 4, 1, 6, tzinfo=UTC))
    web = _web(app, world)

    def figures() -> str:
        return " | ".join(_rows(web.get("/client/sla?period=2026-03"), "sla-figures"))

    # Promised for 20 March, nothing received by 1 April: a miss, and an overdue line.
    assert "OTIF 0.0 % 1 lines due" in figures()
    assert "Overdue open lines 1" in figures()
    # On 2 April the buyer enters the receipt of 19 March.
    with sla.at(2, 9, month=4), h.as_provider(app, world) as (session, uid):
        receipts.receive(
            session, world.orgs["north"], uid, po_id,
            [{"line_no": 1, "quantity_received": "250"}], received_on="2026-03-19",
        )  # fmt: skip
    assert "OTIF 0.0 %" in figures()  # the figures move with the rollup, not before
    with sla.at(2, 9, month=4):
        sla.roll_up(app, world, datetime(2026, 4, 2, 9, 15, tzinfo=UTC))
    now = figures()
    assert "OTIF 100.0 % 1 lines due" in now
    assert "Supplier lead-time variance -1.0 days" in now
    assert "Overdue open lines 0" in now
