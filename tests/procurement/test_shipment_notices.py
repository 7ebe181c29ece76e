"""Shipment notices: sent through the supplier's link or entered by the buyer,
seen by both sides, received against; and the follow-up's overdue list."""

from __future__ import annotations

import re

import sqlalchemy as sa

from baton.platform.audit import AuditEvent
from baton.procurement.orders import shipments
from baton.procurement.orders.models import PurchaseOrder
from tests.support import orders as o
from tests.support import requirements as h
from tests.support import shipments as s
from tests.support.world import login


def _as(app, who):
    web = app.test_client()
    login(web, who)
    return web


def _attachment_links(html: str, prefix: str) -> list[str]:
    return re.findall(rf'href="({re.escape(prefix)}[^"]+/attachments/[^"]+)"', html)


def test_the_supplier_sends_a_notice_through_its_link_once_however_often_it_submits(app, world):
    po_id = s.acknowledged(app, world)
    token = s.token(app, po_id)
    supplier = app.test_client()
    page = supplier.get(f"/supplier/orders/{token}")
    assert "Send a shipment notice" in page.text
    form = s.notice_form(
        carrier="  DHL \t Express ",
        tracking_number="JD0146\u200b00001",
        idempotency_key=s.form_key(page.text),
    )
    # An invisible character in the tracking number is refused, naming the field.
    refused = supplier.post(f"/supplier/orders/{token}/shipments", data=form)
    assert refused.status_code == 422 and "tracking_number" in refused.text
    assert s.notices(app, po_id) == []
    form["tracking_number"] = " JD014600001 "
    sent = supplier.post(
        f"/supplier/orders/{token}/shipments", data=form | {"packing_slip": s.slip()}
    )
    assert sent.status_code == 302, re.findall(r"form-error.*?</div>", sent.text, re.S)
    [notice] = s.notices(app, po_id)
    assert (notice.carrier, notice.tracking_number) == ("DHL Express", "JD014600001")
    assert notice.lines == [{"line_no": 1, "quantity": "100"}]
    assert notice.packing_slip_revision_id is not None
    # The same form again (a double click, a reload): the first notice stands.
    again = supplier.post(
        f"/supplier/orders/{token}/shipments",
        data=form | {"packing_slip": s.slip()},
        follow_redirects=True,
    )
    assert "nothing was changed" in again.text
    assert len(s.notices(app, po_id)) == 1
    # The notice does not move the order: receipts do.
    assert o.load(app, po_id).status == "acknowledged"
    with h.service_session(app) as session:
        event = session.scalar(
            sa.select(AuditEvent).where(
                AuditEvent.entity_id == str(po_id),
                AuditEvent.action == "purchase_order.shipment_notice",
            )
        )
    assert event.actor_kind == "supplier_link"
    assert event.changes["line 1 shipped"] == ["0", "100"]
    number = o.load(app, po_id).number
    [mail] = [m for m in h.mails_to(app, world.email("north_buyer")) if "shipped" in m["Subject"]]
    assert number in mail["Subject"] and "JD014600001" in h.body_text(mail)
    page = supplier.get(f"/supplier/orders/{token}")
    assert "JD014600001" in page.text and "packing-slip.pdf" in page.text


def test_an_over_shipment_or_an_arrival_before_the_ship_date_is_refused_naming_the_field(
    app, world
):
    po_id = s.acknowledged(app, world)
    token = s.token(app, po_id)
    supplier = app.test_client()
    over = supplier.post(f"/supplier/orders/{token}/shipments", data=s.notice_form("251"))
    assert over.status_code == 422
    assert "lines[1].quantity" in over.text and "at most 250 more" in over.text
    early = s.notice_form(days=-1)
    refused = supplier.post(f"/supplier/orders/{token}/shipments", data=early)
    assert refused.status_code == 422 and "before the ship date" in refused.text
    slip = supplier.post(
        f"/supplier/orders/{token}/shipments",
        data=s.notice_form() | {"packing_slip": s.slip(b"MZ\x90\x00program", "slip.pdf")},
    )
    assert slip.status_code == 422 and "packing_slip" in slip.text
    assert s.notices(app, po_id) == []
    # What is left: 250 ordered, 200 announced, so 50 more and not 51.
    assert supplier.post(f"/supplier/orders/{token}/shipments", data=s.notice_form("200"))
    second = supplier.post(f"/supplier/orders/{token}/shipments", data=s.notice_form("51"))
    assert second.status_code == 422 and "at most 50 more" in second.text


def test_a_withdrawn_or_superseded_link_sends_nothing(app, world):
    po_id = s.acknowledged(app, world)
    token = s.token(app, po_id)
    buyer = _as(app, world.email("north_buyer"))
    assert buyer.post(f"/provider/orders/{po_id}/revoke-link").status_code == 302
    withdrawn = app.test_client().post(f"/supplier/orders/{token}/shipments", data=s.notice_form())
    assert withdrawn.status_code == 404 and "withdrew this link" in withdrawn.text
    other = s.acknowledged(app, world)
    old = s.token(app, other)
    with h.service_session(app) as session:
        session.get(PurchaseOrder, other).revision = 1  # as a change order does
    superseded = app.test_client().post(f"/supplier/orders/{old}/shipments", data=s.notice_form())
    assert superseded.status_code == 404 and "superseded by revision 1" in superseded.text
    assert s.notices(app, po_id) == [] and s.notices(app, other) == []


def test_the_buyer_and_the_client_see_the_notice_and_download_its_packing_slip(app, world):
    po_id = s.acknowledged(app, world)
    token = s.token(app, po_id)
    app.test_client().post(
        f"/supplier/orders/{token}/shipments", data=s.notice_form() | {"packing_slip": s.slip()}
    )
    buyer = _as(app, world.email("north_buyer"))
    page = buyer.get(f"/provider/orders/{po_id}")
    assert "DHL Express" in page.text and "JD014600001" in page.text
    [href] = _attachment_links(page.text, "/provider/orders/")
    download = buyer.get(href)
    assert download.status_code == 200 and download.data == s.SLIP
    client = _as(app, world.email("acme_sourcing"))
    seen = client.get(f"/client/orders/{po_id}")
    assert "JD014600001" in seen.text and 'data-testid="shipment-form"' not in seen.text
    [client_href] = _attachment_links(seen.text, "/client/orders/")
    assert client.get(client_href).data == s.SLIP
    # Another client, and a provider acme never engaged, find nothing there.
    assert _as(app, world.email("globex_sourcing")).get(client_href).status_code == 404
    assert _as(app, world.email("other_buyer")).get(href).status_code == 404
    # An id of a document that is not attached to this order is a 404 too.
    other_po = s.acknowledged(app, world)
    assert buyer.get(href.replace(str(po_id), str(other_po))).status_code == 404


def test_the_supplier_downloads_its_own_packing_slip_and_nothing_else_of_the_order(app, world):
    po_id = s.acknowledged(app, world)
    token = s.token(app, po_id)
    supplier = app.test_client()
    supplier.post(
        f"/supplier/orders/{token}/shipments", data=s.notice_form() | {"packing_slip": s.slip()}
    )
    [href] = re.findall(
        r'href="(/supplier/orders/[^"]+/packing-slip\?revision_id=[^"]+)"',
        supplier.get(f"/supplier/orders/{token}").text,
    )
    download = supplier.get(href)
    assert download.status_code == 200 and download.data == s.SLIP
    # The buyer's receipt paperwork stays the buyer's, even on the same order.
    buyer = _as(app, world.email("north_buyer"))
    buyer.post(
        f"/provider/orders/{po_id}/receive",
        data={
            "lines-1-quantity_received": "10",
            "packing_slip": s.slip(b"%PDF-1.4 ours", "dn.pdf"),
        },
    )
    [receipt] = s.receipts(app, po_id)
    slip_id = str(receipt.packing_slip_revision_id)
    assert (
        supplier.get(f"/supplier/orders/{token}/packing-slip?revision_id={slip_id}").status_code
        == 404
    )
    assert supplier.get(f"/supplier/orders/{token}/packing-slip?revision_id=x").status_code == 404
    # Another order's link cannot reach this order's slip.
    other_token = s.token(app, s.acknowledged(app, world))
    stolen = href.replace(token, other_token)
    assert supplier.get(stolen).status_code == 404 and s.SLIP not in supplier.get(stolen).data


def test_the_buyer_records_a_phoned_notice_and_receives_against_it_with_a_packing_slip(app, world):
    po_id = s.acknowledged(app, world)
    buyer = _as(app, world.email("north_buyer"))
    page = buyer.get(f"/provider/orders/{po_id}")
    form = s.notice_form("120", source="phone", idempotency_key=s.form_key(page.text))
    assert buyer.post(f"/provider/orders/{po_id}/shipments", data=form).status_code == 302
    assert buyer.post(f"/provider/orders/{po_id}/shipments", data=form).status_code == 302
    [notice] = s.notices(app, po_id)
    assert notice.source == "phone"
    # "Receive against" prefills the form with what the notice said was shipped.
    prefilled = buyer.get(f"/provider/orders/{po_id}?against={notice.id}")
    assert 'name="lines-1-quantity_received" value="120"' in prefilled.text
    received = buyer.post(
        f"/provider/orders/{po_id}/receive",
        data={
            "lines-1-quantity_received": "120",
            "shipment_id": str(notice.id),
            "reference": "DN-7781",
            "packing_slip": s.slip(),
        },
    )
    assert received.status_code == 302
    [receipt] = s.receipts(app, po_id)
    assert receipt.shipment_id == notice.id and receipt.packing_slip_revision_id
    assert o.load(app, po_id).status == "partially_received"
    page = buyer.get(f"/provider/orders/{po_id}")
    assert "Receipt&#39;s paperwork recorded" in page.text or "Receipt's paperwork" in page.text
    assert 'data-testid="receipt-packing-slip"' in page.text
    [href] = [
        h_
        for h_ in _attachment_links(page.text, "/provider/orders/")
        if h_.endswith(str(receipt.packing_slip_revision_id))
    ]
    assert buyer.get(href).data == s.SLIP
    # A notice of another order cannot be named, and nothing is received then.
    other = s.acknowledged(app, world)
    foreign = s.send(app, world, other, "10", 1, 0)
    refused = buyer.post(
        f"/provider/orders/{po_id}/receive",
        data={"lines-1-quantity_received": "10", "shipment_id": str(foreign)},
    )
    assert refused.status_code == 422 and "shipment_id" in refused.text
    assert len(s.receipts(app, po_id)) == 1


def test_an_acknowledgement_taken_by_email_keeps_the_suppliers_email_as_a_file(app, world):
    po_id = o.released(app, world)
    buyer = _as(app, world.email("north_buyer"))
    program = buyer.post(
        f"/provider/orders/{po_id}/acknowledgement",
        data={
            "source": "email",
            "lines-1-outcome": "accepted",
            "attachment": s.slip(b"\x7fELF binary", "confirmation.pdf"),
        },
    )
    assert program.status_code == 422 and "attachment" in program.text
    assert o.load(app, po_id).status == "released"
    email_text = b"From: sales@kessler.example\nSubject: Re: your order\n\nConfirmed as ordered.\n"
    recorded = buyer.post(
        f"/provider/orders/{po_id}/acknowledgement",
        data={
            "source": "email",
            "lines-1-outcome": "accepted",
            "attachment": s.slip(email_text, "Re your order.txt"),
        },
    )
    assert recorded.status_code == 302
    assert o.load(app, po_id).status == "acknowledged"
    page = buyer.get(f"/provider/orders/{po_id}")
    assert 'data-testid="ack-attachment"' in page.text
    [href] = _attachment_links(page.text, "/provider/orders/")
    assert buyer.get(href).data == email_text
    client = _as(app, world.email("acme_sourcing"))
    [client_href] = _attachment_links(client.get(f"/client/orders/{po_id}").text, "/client/")
    assert client.get(client_href).data == email_text


def test_overdue_shipments_lists_a_notice_past_its_arrival_and_not_one_received(app, world):
    late = s.acknowledged(app, world)
    late_notice = s.send(app, world, late, "100", 5, 2)
    received = s.acknowledged(app, world)
    s.send(app, world, received, "100", 5, 2)
    # Received without naming the notice: the quantities cover it all the same.
    with h.as_provider(app, world) as (session, user_id):
        from baton.procurement.orders import receipts

        receipts.receive(
            session,
            world.orgs["north"],
            user_id,
            received,
            [{"line_no": 1, "quantity_received": "100"}],
        )
    not_due = s.acknowledged(app, world)
    s.send(app, world, not_due, "100", 1, -2)
    with h.as_provider(app, world) as (session, _):
        found = shipments.overdue_shipments(session, world.orgs["north"], h.today())
    mine = [f for f in found if f.po.id in (late, received, not_due)]
    assert [(f.shipment.id, f.days_late) for f in mine] == [(late_notice, 2)]
    # Another provider sees none of north's.
    with h.as_provider(app, world, org="other") as (session, _):
        assert shipments.overdue_shipments(session, world.orgs["other"], h.today()) == []
