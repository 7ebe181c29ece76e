"""The client's open orders: filters, the CSV/XLSX export, the API's same filters,
and a requirement followed to its orders."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest

from baton.procurement.orders import acknowledgements, receipts
from tests.support import orders as o
from tests.support import requirements as h
from tests.support.world import login


def _web(app, who):
    web = app.test_client()
    login(web, who)
    return web


def _ack(app, world, po_id, promised: str | None = None) -> None:
    line = {"line_no": 1, "outcome": "changed" if promised else "accepted"}
    if promised:
        line["promised_date"] = promised
    with h.as_provider(app, world) as (session, user_id):
        acknowledgements.record_for_buyer(
            session, world.orgs["north"], user_id, po_id, [line], source="email", note=None
        )
    if promised:
        with h.as_provider(app, world) as (session, _):
            acknowledgements.accept_changes(session, world.orgs["north"], po_id)


def _receive(app, world, po_id, quantity: str, rejected: str | None = None) -> None:
    line = {"line_no": 1, "quantity_received": quantity}
    if rejected:
        line |= {"quantity_rejected": rejected, "reject_reason": "Bent"}
    with h.as_provider(app, world) as (session, user_id):
        receipts.receive(session, world.orgs["north"], user_id, po_id, [line])


@pytest.fixture
def three(app, world):
    """A late order, one on time and one that only waits for approval."""
    late = o.released(app, world, lines=[h.good_line(description="Hinge, stainless")])
    _ack(app, world, late)
    with h.service_session(app) as session:
        from baton.procurement.orders.models import POLine, PurchaseOrder

        po = session.get(PurchaseOrder, late)
        [line] = session.query(POLine).filter(POLine.po_id == po.id).all()
        line.promised_date = h.today() - timedelta(days=3)
    on_time = o.released(app, world, lines=[h.good_line(description='=HYPERLINK("x")')])
    _ack(app, world, on_time, (h.today() + timedelta(days=20)).isoformat())
    _receive(app, world, on_time, "50", rejected="5")
    o.set_policy(app, world, "100")
    waiting = o.draft(app, world)
    o.submit(app, world, waiting)
    return {
        "late": o.load(app, late),
        "on_time": o.load(app, on_time),
        "waiting": o.load(app, waiting),
    }


def _shown(page_text: str, three: dict) -> set[str]:
    return {k for k, po in three.items() if po.number in page_text}


def test_the_open_orders_list_filters_as_the_client_asks(app, world, three):
    client = _web(app, world.email("acme_sourcing"))
    assert _shown(client.get("/client/orders").text, three) == {"late", "on_time", "waiting"}
    assert _shown(client.get("/client/orders?overdue=1").text, three) == {"late"}
    assert _shown(client.get("/client/orders?status=receivable").text, three) == {"late", "on_time"}
    assert _shown(client.get("/client/orders?status=pending_approval").text, three) == {"waiting"}
    assert _shown(client.get("/client/orders?q=hinge").text, three) == {"late"}
    soon = (h.today() + timedelta(days=10)).isoformat()
    later = (h.today() + timedelta(days=30)).isoformat()
    ranged = client.get(f"/client/orders?promised_from={soon}&promised_to={later}").text
    assert _shown(ranged, three) == {"on_time"}
    supplier = three["late"].supplier_id
    assert _shown(client.get(f"/client/orders?supplier_id={supplier}").text, three) == {"late"}
    with h.service_session(app) as session:
        from baton.sourcing.requirements.models import Requirement

        ref = session.get(Requirement, three["waiting"].lines[0].requirement_id).client_reference
    assert _shown(client.get(f"/client/orders?requirement={ref}").text, three) == {"waiting"}
    # A value the page cannot read is named and left out; the list still answers.
    bad = client.get("/client/orders?promised_from=tomorrow&status=shipped")
    assert bad.status_code == 200
    assert "promised from" in bad.text and "not a date" in bad.text and "not a status" in bad.text
    assert _shown(bad.text, three) == {"late", "on_time", "waiting"}
    # The page says what the supplier answered and what is late.
    listed = client.get("/client/orders").text
    assert "overdue" in listed and "Accepted as ordered" in listed


def test_the_export_has_a_row_per_line_with_the_figures_and_no_formula(app, world, three):
    client = _web(app, world.email("acme_sourcing"))
    csv_text = client.get("/client/orders/export?format=csv&status=receivable").data.decode(
        "utf-8-sig"
    )
    header, *rows = [r.split(",") for r in csv_text.strip().splitlines()]
    assert header[:6] == ["Order", "Status", "Supplier", "Line", "Item", "Description"]
    assert len(rows) == 2
    answer = client.get("/client/orders/export?format=xlsx&q=HYPERLINK")
    assert answer.headers["Content-Disposition"].endswith('open-orders.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(answer.data)).active
    header, row = [[c.value for c in r] for r in sheet.iter_rows()]
    record = dict(zip(header, row, strict=True))
    assert record["Order"] == three["on_time"].number
    assert record["Description"] == '=HYPERLINK("x")'
    assert sheet.cell(row=2, column=header.index("Description") + 1).data_type == "s"
    assert (record["Ordered"], record["Received"], record["Rejected"], record["Open"]) == (
        250,
        50,
        5,
        200,
    )
    assert record["Line total"] == 962.5 and record["Currency"] == "EUR"
    assert record["Acknowledgement"] == "Accepted with changes"
    assert "'=HYPERLINK" in client.get("/client/orders/export?q=HYPERLINK").data.decode("utf-8-sig")
    # The buyer's list exports the same way.
    buyer = _web(app, world.email("north_buyer"))
    assert three["late"].number in buyer.get("/provider/orders/export?overdue=1").data.decode()


def test_the_api_takes_the_same_filters_and_names_a_bad_value(app, world, three):
    api = app.test_client()
    headers = h.api_headers(app, world.orgs["acme"], "viewer")

    def numbers(query: str) -> set[str]:
        answer = api.get(f"/api/v1/purchase-orders?{query}", headers=headers)
        assert answer.status_code == 200, answer.json
        return {
            k for k, po in three.items() if po.number in {i["number"] for i in answer.json["items"]}
        }

    assert numbers("overdue=true") == {"late"}
    assert numbers("q=hinge") == {"late"}
    assert numbers(f"supplier_id={three['on_time'].supplier_id}") == {"on_time"}
    for query, field in (
        ("status=shipped", "status"),
        ("promised_from=soon", "promised_from"),
        ("supplier_id=acme", "supplier_id"),
        ("promised_from=2030-02-01&promised_to=2030-01-01", "promised_to"),
    ):
        answer = api.get(f"/api/v1/purchase-orders?{query}", headers=headers)
        assert answer.status_code == 422 and field in answer.json["errors"], (query, answer.json)


def test_the_requirement_page_follows_it_to_its_orders(app, world):
    rid = o.accepted(app, world)
    po_id = o.draft(app, world, rid)
    client = _web(app, world.email("acme_sourcing"))
    # The provider's draft is its own: the client sees nothing ordered yet.
    page = client.get(f"/client/requirements/{rid}").text
    assert o.load(app, po_id).number not in page
    o.submit(app, world, po_id)
    with h.as_provider(app, world) as (session, _):
        from baton.procurement.orders import release

        release.release(session, world.orgs["north"], po_id)
    _ack(app, world, po_id)
    _receive(app, world, po_id, "100")
    po = o.load(app, po_id)
    page = client.get(f"/client/requirements/{rid}").text
    assert po.number in page and "Partially received" in page
    assert f'data-testid="requirement-received-{po.number}-1">100' in page
    assert "Accepted as ordered" in page
    # All of the handoff is on the order: nothing is left to order.
    assert 'data-testid="remaining-1">0' in page
