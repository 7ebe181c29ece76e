"""Shipment notices, receipts and packing slips over the API."""

from __future__ import annotations

import io
from datetime import timedelta

from tests.support import requirements as h
from tests.support import shipments as s


def _notice(**extra) -> dict:
    today = h.today()
    return {
        "source": "email",
        "carrier": "Kuehne+Nagel",
        "tracking_number": "KN-55120",
        "shipped_on": today.isoformat(),
        "expected_on": (today + timedelta(days=4)).isoformat(),
        "lines": [{"line_no": 1, "quantity": "80"}],
        **extra,
    }


def test_a_provider_records_a_notice_once_per_key_and_the_client_reads_it(app, world):
    po_id = s.acknowledged(app, world)
    api = app.test_client()
    provider = h.api_headers(app, world.orgs["north"], "buyer")
    path = f"/api/v1/purchase-orders/{po_id}/shipments"
    created = api.post(path, json=_notice(idempotency_key="erp-asn-0001"), headers=provider)
    assert created.status_code == 201, created.json
    assert created.json["lines"] == [{"line_no": 1, "quantity": "80"}]
    again = api.post(path, json=_notice(idempotency_key="erp-asn-0001"), headers=provider)
    assert again.status_code == 200 and again.json["id"] == created.json["id"]
    over = api.post(path, json=_notice(lines=[{"line_no": 1, "quantity": "171"}]), headers=provider)
    assert over.status_code == 422 and "lines[1].quantity" in over.json["errors"]
    early = api.post(
        path,
        json=_notice(expected_on=(h.today() - timedelta(days=1)).isoformat()),
        headers=provider,
    )
    assert early.status_code == 422 and "expected_on" in early.json["errors"]
    client = h.api_headers(app, world.orgs["acme"], "viewer")
    listed = api.get(path, headers=client).json
    assert listed["page"] == 1 and not listed["has_next"]
    assert [i["tracking_number"] for i in listed["items"]] == ["KN-55120"]
    assert listed["items"][0]["received"] is False
    # A client cannot record one, another client does not find the order.
    assert api.post(path, json=_notice(), headers=client).status_code == 404
    globex = h.api_headers(app, world.orgs["globex"], "admin")
    assert api.get(path, headers=globex).status_code == 404


def test_a_receipt_against_a_notice_gets_its_packing_slip_by_multipart_upload(app, world):
    po_id = s.acknowledged(app, world)
    api = app.test_client()
    provider = h.api_headers(app, world.orgs["north"], "buyer")
    base = f"/api/v1/purchase-orders/{po_id}"
    notice = api.post(f"{base}/shipments", json=_notice(), headers=provider).json
    done = api.post(
        f"{base}/receipts",
        json={"lines": [{"line_no": 1, "quantity_received": "80"}], "shipment_id": notice["id"]},
        headers=provider,
    )
    assert done.status_code == 200 and done.json["status"] == "partially_received"
    [receipt] = api.get(f"{base}/receipts", headers=provider).json["items"]
    assert receipt["shipment_id"] == notice["id"] and receipt["packing_slip"] is None
    upload = f"{base}/receipts/{receipt['id']}/packing-slip"
    wrong = api.post(
        upload, data={"file": (io.BytesIO(b"<html>no</html>"), "slip.pdf")}, headers=provider
    )
    assert wrong.status_code == 422 and "file" in wrong.json["errors"]
    attached = api.post(upload, data={"file": s.slip()}, headers=provider)
    assert attached.status_code == 200, attached.json
    slip = attached.json["packing_slip"]
    assert slip["filename"] == "packing-slip.pdf" and slip["content_type"] == "application/pdf"
    assert api.post(upload, data={"file": s.slip()}, headers=provider).status_code == 409
    client = h.api_headers(app, world.orgs["acme"], "viewer")
    download = api.get(f"{base}/attachments/{slip['id']}", headers=client)
    assert download.status_code == 200 and download.data == s.SLIP
    assert api.get(f"{base}/shipments", headers=client).json["items"][0]["received"] is True
    globex = h.api_headers(app, world.orgs["globex"], "admin")
    assert api.get(f"{base}/attachments/{slip['id']}", headers=globex).status_code == 404
