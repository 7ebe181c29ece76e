"""Supplier CSV import: a whole file checked first, every problem reported by
row and column, nothing written unless every row is right."""

from __future__ import annotations

import io
import uuid

import sqlalchemy as sa

from baton.platform.db import db
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.sourcing.suppliers.models import Supplier
from tests.handoff.test_suppliers import add_supplier, count_suppliers
from tests.support.world import login


def suppliers_of(app, tenant_id: uuid.UUID) -> dict[str, Supplier]:
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            rows = session.scalars(sa.select(Supplier).where(Supplier.tenant_id == tenant_id))
            return {s.code: s for s in rows}
        finally:
            session.close()


def upload(client, text: str, name: str = "suppliers.csv", bom: bool = True):
    data = (("\ufeff" if bom else "") + text).encode("utf-8")
    return client.post(
        "/client/suppliers/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_a_good_file_creates_and_updates_suppliers(app, world):
    acme = world.orgs["acme"]
    existing = add_supplier(app, acme, code="KEEP-1", payment_terms="Net 30", contact_name="Old")
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    response = upload(
        client,
        "name,code,currency,qualified_until,categories,payment_terms,incoterms,country\r\n"
        'Müller Präzision,mp-1,eur,2028-01-31,"Machining; Castings",Net 45,fca,de\r\n'
        "Ōsaka Seimitsu,OS-2,JPY,,Electronics,,,JP\r\n"
        f"{existing.name},KEEP-1,EUR,,,Net 60,,\r\n",
    )
    assert response.status_code == 302, response.text
    page = client.get(response.headers["Location"])
    assert "2 created, 1 updated, 0 unchanged." in page.text
    stored = suppliers_of(app, acme)
    assert stored["MP-1"].name == "Müller Präzision"
    assert stored["MP-1"].currency == "EUR"
    assert stored["MP-1"].categories == ["Machining", "Castings"]
    assert stored["MP-1"].incoterms == "FCA"
    assert str(stored["MP-1"].qualified_until) == "2028-01-31"
    assert stored["OS-2"].currency == "JPY"
    assert stored["KEEP-1"].payment_terms == "Net 60"
    # Columns the file does not have are left alone.
    assert stored["KEEP-1"].contact_name == "Old"


def test_a_failing_file_reports_row_and_column_and_writes_nothing(app, world):
    acme = world.orgs["acme"]
    before = count_suppliers(app, acme)
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    response = upload(
        client,
        "name,code,currency,qualified_until,contact_email\n"
        "Good One,G-1,EUR,,ok@example.com\n"
        "Bad Currency,G-2,EURO,,\n"
        ",G-3,USD,31/12/2027,nobody\n"
        "Dup,G-1,EUR,,\n",
    )
    assert response.status_code == 422
    text = response.text
    assert "5 problems found" in text
    assert "Nothing was imported" in text
    rows = _problem_rows(text)
    assert ("3", "currency") in rows
    assert ("4", "name") in rows
    assert ("4", "qualified_until") in rows
    assert ("4", "contact_email") in rows
    assert ("5", "code") in rows
    assert "already appears on row 2" in text
    assert count_suppliers(app, acme) == before
    assert "G-1" not in suppliers_of(app, acme)


def test_an_unknown_or_missing_column_is_reported_on_row_1(app, world):
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    response = upload(client, "name,currency,colour\nX,EUR,blue\n")
    assert response.status_code == 422
    rows = _problem_rows(response.text)
    assert ("1", "colour") in rows
    assert ("1", "code") in rows


def test_a_file_that_is_not_utf8_is_refused_with_advice(app, world):
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    response = client.post(
        "/client/suppliers/import",
        data={
            "file": (io.BytesIO("name,code,currency\nMüller,M1,EUR\n".encode("cp1252")), "x.csv")
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "CSV UTF-8" in response.text


def test_semicolon_separated_files_from_european_excel_work(app, world):
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    response = upload(
        client, "name;code;currency;categories\nSemi GmbH;SEMI-1;EUR;Tools|Fixtures\n"
    )
    assert response.status_code == 302, response.text
    assert suppliers_of(app, world.orgs["acme"])["SEMI-1"].categories == ["Tools", "Fixtures"]


def test_the_downloadable_template_imports_as_is(app, world):
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    template = client.get("/client/suppliers/import/template.csv")
    assert template.status_code == 200
    assert template.headers["Content-Type"].startswith("text/csv")
    response = client.post(
        "/client/suppliers/import",
        data={"file": (io.BytesIO(template.data), "template.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.text
    assert "RGT-001" in suppliers_of(app, world.orgs["acme"])


def test_import_writes_only_into_the_importing_client(app, world):
    client = app.test_client()
    login(client, world.email("globex_sourcing"))
    assert upload(client, "name,code,currency\nOnly Globex,ONLY-G,EUR\n").status_code == 302
    assert "ONLY-G" in suppliers_of(app, world.orgs["globex"])
    assert "ONLY-G" not in suppliers_of(app, world.orgs["acme"])


def _problem_rows(text: str) -> set[tuple[str, str]]:
    import re

    return set(re.findall(r"<tr><td>(\d+|—)</td><td>([^<]+)</td>", text))
