"""The supplier's signed link: one order, one revision, until withdrawn."""

from __future__ import annotations

import re

from baton.procurement.orders import links
from tests.support import orders as o
from tests.support import requirements as h
from tests.support.world import login


def _link(app, po_id) -> str:
    with h.service_session(app) as session, app.test_request_context():
        return links.token_for(session.get(links.PurchaseOrder, po_id))


def _ack_form(outcome="accepted", **extra):
    return {"lines-1-outcome": outcome, **extra}


def test_the_supplier_acknowledges_with_a_changed_date_and_a_second_submit_changes_nothing(
    app, world
):
    po_id = o.released(app, world)
    token = _link(app, po_id)
    supplier = app.test_client()
    page = supplier.get(f"/supplier/orders/{token}")
    assert page.status_code == 200 and o.load(app, po_id).number in page.text
    later = (h.today().replace(day=1)).isoformat()
    sent = supplier.post(
        f"/supplier/orders/{token}", data=_ack_form("changed", **{"lines-1-promised_date": later})
    )
    assert sent.status_code == 302
    po = o.load(app, po_id)
    assert po.status == "acknowledged"
    again = supplier.post(
        f"/supplier/orders/{token}",
        data=_ack_form("rejected", **{"lines-1-note": "no"}),
        follow_redirects=True,
    )
    assert "already acknowledged" in again.text
    # The buyer takes the supplier's date onto the line.
    buyer = app.test_client()
    login(buyer, world.email("north_buyer"))
    assert buyer.post(f"/provider/orders/{po_id}/accept-changes").status_code == 302
    assert o.load(app, po_id).lines[0].promised_date.isoformat() == later


def test_the_acknowledgement_is_audited_with_the_link_as_actor(app, world):
    import sqlalchemy as sa

    from baton.platform.audit import AuditEvent

    po_id = o.released(app, world)
    app.test_client().post(f"/supplier/orders/{_link(app, po_id)}", data=_ack_form())
    with h.service_session(app) as session:
        event = session.scalar(
            sa.select(AuditEvent).where(
                AuditEvent.entity_id == str(po_id),
                AuditEvent.action == "purchase_order.acknowledge",
            )
        )
    assert event.actor_kind == "supplier_link"


def test_a_withdrawn_link_shows_a_clear_page_and_nothing_else(app, world):
    po_id = o.released(app, world)
    token = _link(app, po_id)
    buyer = app.test_client()
    login(buyer, world.email("north_buyer"))
    assert buyer.post(f"/provider/orders/{po_id}/revoke-link").status_code == 302
    page = app.test_client().get(f"/supplier/orders/{token}")
    assert page.status_code == 404
    assert "withdrew this link" in page.text
    assert "BR-100" not in page.text
    assert app.test_client().post(f"/supplier/orders/{token}", data=_ack_form()).status_code == 404
    assert o.load(app, po_id).status == "released"


def test_a_link_cannot_be_pointed_at_another_order(app, world):
    from tests.support.isolation.links import _tampered

    mine = o.released(app, world)
    other = o.load(app, o.released(app, world))
    token = _link(app, mine)
    payload = {
        "po": str(other.id),
        "t": str(other.tenant_id),
        "p": str(other.provider_id),
        "r": 0,
        "n": other.link_nonce,
    }
    forged = _tampered(token, payload)
    assert app.test_client().get(f"/supplier/orders/{forged}").status_code == 404
    page = app.test_client().get(f"/supplier/orders/{token}")
    assert page.status_code == 200 and other.number not in page.text


def test_a_draft_or_unreleased_order_is_never_shown_through_a_link(app, world):
    po_id = o.draft(app, world)
    with h.service_session(app) as session:
        po = session.get(links.PurchaseOrder, po_id)
        po.link_nonce = "made-up"
    assert app.test_client().get(f"/supplier/orders/{_link(app, po_id)}").status_code == 404


def test_release_emails_the_supplier_the_pdf_and_a_link_that_opens_the_order(app, world):
    po_id = o.released(app, world)
    po = o.load(app, po_id)
    supplier = h.load(app, po.lines[0].requirement_id).supplier_id
    with h.service_session(app) as session:
        address = session.get(links_supplier(), supplier).contact_email
    [mail] = [m for m in h.mails_to(app, address) if po.number in m["Subject"]]
    [pdf] = [p for p in mail.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf.get_content().startswith(b"%PDF")
    assert mail["Reply-To"] == world.email("north_buyer")
    link = re.search(r"http\S*/supplier/orders/\S+", h.body_text(mail)).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    page = app.test_client().get(path)
    assert page.status_code == 200 and po.number in page.text
    download = app.test_client().get(path + "/pdf")
    assert download.status_code in (200, 302)


def links_supplier():
    from baton.sourcing.suppliers.models import Supplier

    return Supplier


def test_the_pdf_reads_in_the_clients_language_conventions(app, world):
    import io

    from pypdf import PdfReader

    from baton.tenants.models import Organisation

    with h.service_session(app) as session:
        session.get(Organisation, world.orgs["acme"]).locale = "de_DE"
    po_id = o.released(app, world)
    download = app.test_client().get(f"/supplier/orders/{_link(app, po_id)}/pdf")
    assert download.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(download.data)).pages)
    assert "962,50" in text and o.load(app, po_id).number in text


def _uploaded_spec(app, world, content: bytes, name: str):
    import io
    import uuid

    answer = app.test_client().post(
        "/api/v1/documents",
        data={"kind": "specification", "title": name, "file": (io.BytesIO(content), name)},
        headers=h.api_headers(app, world.orgs["acme"], "admin"),
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)[:300]
    return uuid.UUID(answer.get_json()["revisions"][0]["id"])


def test_the_supplier_downloads_the_specifications_of_its_order_and_no_other(app, world):
    drawing = b"%PDF-1.4 bracket drawing rev A\n%%EOF\n"
    spec = _uploaded_spec(app, world, drawing, "BR-100 drawing.pdf")
    other = _uploaded_spec(app, world, b"%PDF-1.4 secret\n%%EOF\n", "Other drawing.pdf")
    po_id = o.released(
        app, world, lines=[h.good_line(spec_required=True, spec_revision_ids=[spec])]
    )
    token = _link(app, po_id)
    supplier = app.test_client()
    page = supplier.get(f"/supplier/orders/{token}").text
    assert "Specifications to build to" in page
    href = f"/supplier/orders/{token}/specification?revision_id={spec}"
    assert f"specification?revision_id={spec}" in page
    download = supplier.get(href)
    assert download.status_code == 200 and download.data == drawing
    # The client's other drawing is not on this order: not found, whatever the id.
    assert (
        supplier.get(f"/supplier/orders/{token}/specification?revision_id={other}").status_code
        == 404
    )
    assert supplier.get(f"/supplier/orders/{token}/specification?revision_id=x").status_code == 404
