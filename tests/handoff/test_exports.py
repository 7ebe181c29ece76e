"""Lists as CSV and XLSX downloads: the supplier list, the requirement list,
the queue and the audit log, as filtered on their pages; text that a
spreadsheet would run as a formula stays text; nothing of another
organisation's; a GET that changes nothing."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import openpyxl
import pytest

from baton.platform.db import utcnow
from tests.support import requirements as h
from tests.support.world import login

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.text[:300]
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def _xlsx(response):
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return openpyxl.load_workbook(io.BytesIO(response.data)).active


def test_a_supplier_named_like_a_formula_exports_as_text_in_csv_and_xlsx(app, world):
    suffix = uuid.uuid4().hex[:6].upper()
    for n, name in enumerate(HOSTILE):
        h.make_supplier(app, world, code=f"F{suffix}{n}", name=name)
    h.make_supplier(app, world, "globex", code=f"G{suffix}", name=f"Globex only {suffix}")
    client = app.test_client()
    login(client, world.email("acme_viewer"))
    page = client.get(f"/client/suppliers/?q=F{suffix}")
    assert f"/client/suppliers/export?format=xlsx&amp;q=F{suffix}" in page.text

    rows = _csv(client.get(f"/client/suppliers/export?format=csv&q=F{suffix}"))
    assert rows[0][:2] == ["Code", "Name"]
    names = sorted(r[1] for r in rows[1:])
    assert names == sorted("'" + n for n in HOSTILE)  # each one neutralised, nothing else
    assert all(f"Globex only {suffix}" not in ",".join(r) for r in rows)

    sheet = _xlsx(client.get(f"/client/suppliers/export?format=xlsx&q=F{suffix}"))
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    # The text as typed (the XML of a cell keeps a lone CR as a line break).
    assert sorted(c.value for c in cells) == sorted(n.replace("\r", "\n") for n in HOSTILE)
    assert all(c.data_type == "s" for c in cells)  # a string, never a formula


def test_the_requirement_list_exports_as_filtered_and_changes_nothing(app, world):
    supplier = h.make_supplier(app, world)
    marker = uuid.uuid4().hex[:8]
    rid = h.submitted(app, world, supplier, title=f"=cmd|' /C calc'!A0 {marker}")
    h.create_draft(app, world, h.good_data(world, supplier, title=f"Draft {marker}"))
    before = h.load(app, rid)
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    listing = client.get(f"/client/requirements/?status=submitted&q={marker}")
    assert "/client/requirements/export?format=csv" in listing.text

    rows = _csv(client.get(f"/client/requirements/export?format=csv&status=submitted&q={marker}"))
    titles = [r[1] for r in rows[1:]]
    assert titles == [f"'=cmd|' /C calc'!A0 {marker}"]  # the draft is filtered out
    sheet = _xlsx(client.get(f"/client/requirements/export?format=xlsx&q={marker}"))
    assert sheet.cell(row=1, column=1).value == "Reference" and sheet.max_row == 3
    after = h.load(app, rid)
    assert (after.status, after.updated_at) == (before.status, before.updated_at)
    assert client.get("/client/requirements/export?format=pdf").status_code == 422


def test_the_queue_exports_with_its_filters_and_only_the_providers_own(app, world):
    supplier = h.make_supplier(app, world)
    marker = uuid.uuid4().hex[:8]
    urgent = h.submitted(app, world, supplier, title=f"@urgent {marker}", priority="urgent")
    h.submitted(app, world, supplier, title=f"Normal {marker}", priority="normal")
    buyer = app.test_client()
    login(buyer, world.email("north_buyer"))
    assert "/provider/queue/export?format=xlsx" in buyer.get("/provider/queue/").text

    rows = _csv(buyer.get("/provider/queue/export?format=csv&priority=urgent"))
    ours = [r for r in rows[1:] if marker in r[2]]
    assert [r[2] for r in ours] == [f"'@urgent {marker}"]
    assert h.load(app, urgent).client_reference in {r[1] for r in ours}
    assert buyer.get("/provider/queue/export?format=csv&priority=whenever").status_code == 422
    other = app.test_client()
    login(other, world.email("other_buyer"))
    assert marker not in other.get("/provider/queue/export?format=csv").text


@pytest.fixture
def admin(app, world):
    client = app.test_client()
    login(client, world.email("acme_admin"))
    return client


def test_the_audit_log_filters_by_object_actor_and_day_and_links_each_object(app, world, admin):
    supplier = h.make_supplier(app, world)
    rid = h.submitted(app, world, supplier, title=f"Audited {uuid.uuid4().hex[:6]}")
    page = admin.get("/organisation/audit?entity_type=requirement")
    assert page.status_code == 200
    assert f'href="/client/requirements/{rid}"' in page.text
    assert "supplier.created" not in page.text

    today = utcnow().date()
    later = (today + timedelta(days=2)).isoformat()
    assert "No events match" in admin.get(f"/organisation/audit?from={later}").text
    assert (
        f"/client/requirements/{rid}"
        in admin.get(
            f"/organisation/audit?from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"
        ).text
    )
    bad = admin.get("/organisation/audit?from=yesterday")
    assert bad.status_code == 200 and "from: Enter a date" in bad.text

    rows = _csv(admin.get("/organisation/audit/export?format=csv&entity_type=requirement"))
    assert rows[0][:4] == ["#", f"When ({_tz(app, world)})", "Who", "What"]
    assert rows[1:] and all(r[4] == "requirement" for r in rows[1:])
    assert str(rid) in {r[5] for r in rows[1:]}


def test_the_audit_log_filters_by_who_acted(app, world, admin):
    supplier = h.make_supplier(app, world)
    h.submitted(app, world, supplier)
    page = admin.get("/organisation/audit").text
    actors = _actors(page)
    assert actors
    actor_id, label = actors[0]
    only = admin.get(f"/organisation/audit?actor={actor_id}").text
    others = {lab for _i, lab in actors if lab != label}
    table = only.split('data-testid="audit"')[1]
    assert all(f"<td>{o}</td>" not in table for o in others)


def _actors(html: str) -> list[tuple[str, str]]:
    import re

    block = html.split('name="actor"')[1].split("</select>")[0]
    return [
        (value, label)
        for value, label in re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', block)
    ]


def _tz(app, world) -> str:
    from baton.tenants.models import Organisation

    with h.service_session(app) as session:
        return session.get(Organisation, world.orgs["acme"]).timezone
