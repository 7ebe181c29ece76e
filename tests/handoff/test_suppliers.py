"""Suppliers in the client portal: create, edit, list, lapsed qualification,
roles, and isolation between client tenants."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import sqlalchemy as sa

from baton.platform.audit import AuditEvent
from baton.platform.db import db
from baton.platform.request_context import Actor, acting_as
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.sourcing.suppliers import services
from baton.sourcing.suppliers.models import Supplier
from tests.support.world import login

GOOD = {
    "name": "Rhein Guss GmbH",
    "code": "rg-001",
    "currency": "EUR",
    "qualification_status": "qualified",
    "qualified_until": "2030-12-31",
    "contact_name": "Anna Weber",
    "contact_email": "orders@rg.example",
    "contact_phone": "+49 211 555 0100",
    "address": "Industriestraße 4\n40227 Düsseldorf",
    "country": "de",
    "payment_terms": "Net 30",
    "incoterms": "DAP",
    "categories": "Castings; Machining",
    "notes": "",
}


def add_supplier(app, tenant_id: uuid.UUID, **values) -> Supplier:
    data = {
        "name": f"Supplier {uuid.uuid4().hex[:6]}",
        "code": uuid.uuid4().hex[:8],
        "currency": "EUR",
    }
    data.update(values)
    with app.app_context(), acting_as(Actor("system", None, "test")):
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            supplier = services.create_supplier(session, tenant_id, data)
            session.commit()
            return supplier
        finally:
            session.close()


def read_supplier(app, supplier_id: uuid.UUID) -> Supplier | None:
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            return session.get(Supplier, supplier_id)
        finally:
            session.close()


def count_suppliers(app, tenant_id: uuid.UUID) -> int:
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            return session.scalar(
                sa.select(sa.func.count())
                .select_from(Supplier)
                .where(Supplier.tenant_id == tenant_id)
            )
        finally:
            session.close()


def test_sourcing_creates_a_supplier_and_sees_it_listed(app, world):
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    response = client.post("/client/suppliers/new", data=GOOD)
    assert response.status_code == 302
    detail = client.get(response.headers["Location"])
    assert detail.status_code == 200
    assert "Rhein Guss GmbH" in detail.text
    assert "RG-001" in detail.text  # codes are kept upper-case
    assert "Castings" in detail.text and "Machining" in detail.text
    assert "Qualified until 2030-12-31" in detail.text
    listing = client.get("/client/suppliers/?q=guss")
    assert "Rhein Guss GmbH" in listing.text
    assert "Rhein Guss GmbH" in client.get("/client/suppliers/?q=rg-0").text
    assert "Rhein Guss GmbH" not in client.get("/client/suppliers/?q=nothing-like-it").text


def test_edit_is_audited_with_a_field_diff(app, world):
    supplier = add_supplier(app, world.orgs["acme"], payment_terms="Net 30")
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    form = client.get(f"/client/suppliers/{supplier.id}/edit")
    assert form.status_code == 200 and "Net 30" in form.text
    data = {
        "name": supplier.name,
        "code": supplier.code,
        "currency": "EUR",
        "qualification_status": "conditional",
        "payment_terms": "Net 60",
        "categories": "",
        "incoterms": "",
    }
    assert client.post(f"/client/suppliers/{supplier.id}/edit", data=data).status_code == 302
    stored = read_supplier(app, supplier.id)
    assert stored.payment_terms == "Net 60"
    assert stored.qualification_status == "conditional"
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        events = session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity_type == "supplier",
                AuditEvent.entity_id == str(supplier.id),
                AuditEvent.action == "supplier.updated",
            )
        ).all()
        session.close()
    assert len(events) == 1
    assert events[0].changes["payment_terms"] == ["Net 30", "Net 60"]
    assert events[0].changes["qualification_status"] == ["qualified", "conditional"]
    assert "name" not in events[0].changes
    history = client.get(f"/client/suppliers/{supplier.id}").text
    assert "Net 60" in history and "Supplier updated" in history


def test_saving_without_changes_writes_no_audit_event(app, world):
    supplier = add_supplier(app, world.orgs["acme"])
    with app.app_context(), acting_as(Actor("system", None, "test")):
        session = db.new_service_session(SERVICE_CONTEXT)
        services.update_supplier(session, world.orgs["acme"], supplier.id, {"name": supplier.name})
        session.commit()
        events = session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.entity_id == str(supplier.id))
        ).all()
        session.close()
    assert events == ["supplier.created"]


def test_bad_input_names_the_field_and_saves_nothing(app, world):
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    before = count_suppliers(app, world.orgs["acme"])
    response = client.post(
        "/client/suppliers/new",
        data={**GOOD, "code": "BAD-CUR", "currency": "EUX", "contact_email": "not-an-email"},
    )
    assert response.status_code == 422
    assert "&#39;EUX&#39; is not an ISO 4217 currency code" in response.text
    assert "Enter a valid email address" in response.text
    assert count_suppliers(app, world.orgs["acme"]) == before


def test_a_code_is_unique_within_the_client(app, world):
    existing = add_supplier(app, world.orgs["acme"])
    add_supplier(app, world.orgs["globex"], code="SHARED-1")
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    response = client.post("/client/suppliers/new", data={**GOOD, "code": existing.code.lower()})
    assert response.status_code == 422
    assert f"already has code {existing.code}" in response.text
    # Another client's codes do not collide with ours.
    assert (
        client.post("/client/suppliers/new", data={**GOOD, "code": "SHARED-1"}).status_code == 302
    )


def test_filters_by_status_category_and_lapsed(app, world):
    acme = world.orgs["acme"]
    tag = uuid.uuid4().hex[:6]
    yesterday = date.today() - timedelta(days=1)
    add_supplier(app, acme, name=f"Cast {tag}", categories=["Castings"])
    add_supplier(
        app, acme, name=f"Susp {tag}", qualification_status="suspended", categories=["Fasteners"]
    )
    add_supplier(
        app, acme, name=f"Old {tag}", qualified_until=yesterday.isoformat(), categories=["Castings"]
    )
    client = app.test_client()
    login(client, world.email("acme_viewer"))

    def names(query: str) -> set[str]:
        text = client.get(f"/client/suppliers/?q={tag}&{query}").text
        return set(re.findall(rf"(\w+) {tag}</a>", text))

    assert names("") == {"Cast", "Susp", "Old"}
    assert names("status=suspended") == {"Susp"}
    assert names("category=castings") == {"Cast", "Old"}
    assert names("lapsed=yes") == {"Old"}
    assert names("lapsed=no") == {"Cast", "Susp"}


def test_a_lapsed_qualification_shows_with_its_date_in_list_and_detail(app, world):
    lapsed_on = date.today() - timedelta(days=3)
    supplier = add_supplier(
        app,
        world.orgs["acme"],
        qualification_status="qualified",
        qualified_until=lapsed_on.isoformat(),
    )
    client = app.test_client()
    login(client, world.email("acme_viewer"))
    expected = f"Qualification lapsed on {lapsed_on.isoformat()}"
    assert expected in client.get(f"/client/suppliers/?q={supplier.code}").text
    assert expected in client.get(f"/client/suppliers/{supplier.id}").text
    assert not read_supplier(app, supplier.id).is_usable(date.today())


def test_viewers_and_approvers_read_but_cannot_write(app, world):
    supplier = add_supplier(app, world.orgs["acme"])
    for who in ("acme_viewer", "acme_approver"):
        client = app.test_client()
        login(client, world.email(who))
        assert client.get("/client/suppliers/").status_code == 200
        assert client.get(f"/client/suppliers/{supplier.id}").status_code == 200
        assert client.get("/client/suppliers/new").status_code == 403
        assert client.post("/client/suppliers/new", data=GOOD).status_code == 403
        edit = client.post(
            f"/client/suppliers/{supplier.id}/edit", data={**GOOD, "code": supplier.code}
        )
        assert edit.status_code == 403
        assert client.post("/client/suppliers/import", data={}).status_code == 403
    assert read_supplier(app, supplier.id).name == supplier.name


def test_acme_cannot_see_or_change_a_globex_supplier_by_id(app, world):
    theirs = add_supplier(app, world.orgs["globex"], name="Globex Secret Supplier")
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    assert client.get(f"/client/suppliers/{theirs.id}").status_code == 404
    assert client.get(f"/client/suppliers/{theirs.id}/edit").status_code == 404
    response = client.post(
        f"/client/suppliers/{theirs.id}/edit", data={**GOOD, "code": theirs.code, "name": "Hacked"}
    )
    assert response.status_code == 404
    assert "Globex Secret Supplier" not in client.get("/client/suppliers/?q=Globex").text
    assert read_supplier(app, theirs.id).name == "Globex Secret Supplier"


def test_provider_people_do_not_get_the_client_supplier_pages(app, world):
    supplier = add_supplier(app, world.orgs["acme"])
    client = app.test_client()
    login(client, world.email("north_buyer"))
    assert client.get("/client/suppliers/").status_code == 404
    assert client.get(f"/client/suppliers/{supplier.id}").status_code == 404


def test_an_engaged_provider_reads_the_client_list_through_the_service(app, world):
    """Providers read suppliers of the clients that engaged them (through their own
    pages, built elsewhere); the same service call answers, the write is refused."""
    from baton.tenants import services as tenants

    acme = world.orgs["acme"]
    supplier = add_supplier(app, acme)
    with app.app_context(), acting_as(Actor("system", None, "test")):
        setup = db.new_service_session(SERVICE_CONTEXT)
        from baton.tenants.models import Organisation

        north = setup.get(Organisation, world.orgs["north"])
        other = setup.get(Organisation, world.orgs["other"])
        north_ctx = tenants.context_for(setup, north)
        other_ctx = tenants.context_for(setup, other)
        setup.close()
        with db.unit_of_work(north_ctx) as session:
            assert services.get_supplier(session, acme, supplier.id).name == supplier.name
        with db.unit_of_work(other_ctx) as session:
            try:
                services.get_supplier(session, acme, supplier.id)
                raise AssertionError("a provider not engaged by acme read its supplier")
            except services.NotFound:
                pass
