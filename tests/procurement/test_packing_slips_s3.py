"""A receipt's packing slip goes to the S3 document store (moto's server) and
comes back through a presigned URL, after the order's own access check."""

from __future__ import annotations

import re
import urllib.request

import pytest

from tests.support import shipments as s
from tests.support.world import login, make_world


@pytest.fixture
def s3_world(pg_s3_app):
    return make_world(pg_s3_app)


@pytest.mark.postgres
def test_a_receipts_packing_slip_is_stored_in_s3_and_downloads_for_the_parties(
    pg_s3_app, s3_world, s3_server
):
    app, world = pg_s3_app, s3_world
    po_id = s.acknowledged(app, world)
    buyer = app.test_client()
    login(buyer, world.email("north_buyer"))
    received = buyer.post(
        f"/provider/orders/{po_id}/receive",
        data={"lines-1-quantity_received": "250", "packing_slip": s.slip()},
    )
    assert received.status_code == 302
    [receipt] = s.receipts(app, po_id)
    bucket = app.config["BATON_SETTINGS"].s3_bucket
    listed = s3_server.client().list_objects_v2(
        Bucket=bucket, Prefix=f"tenants/{world.orgs['acme']}/"
    )
    assert any(str(receipt.packing_slip_revision_id) in o["Key"] for o in listed["Contents"])
    page = buyer.get(f"/provider/orders/{po_id}").text
    [href] = re.findall(r'href="(/provider/orders/[^"]+/attachments/[^"]+)"', page)
    answer = buyer.get(href)
    assert answer.status_code == 302 and answer.headers["Location"].startswith(
        s3_server.endpoint_url
    )
    with urllib.request.urlopen(answer.headers["Location"], timeout=30) as response:  # noqa: S310
        assert response.read() == s.SLIP
    stranger = app.test_client()
    login(stranger, world.email("globex_sourcing"))
    assert stranger.get(href.replace("/provider/", "/client/")).status_code == 404
