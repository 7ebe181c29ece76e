"""The compliance dossier: one zip with the order's records and its verified audit trail."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile

import psycopg
import pytest
import sqlalchemy as sa

from baton.procurement.orders import acknowledgements, dossier, queries, receipts
from baton.procurement.orders.models import PurchaseOrder
from tests.support import orders as o
from tests.support import requirements as h
from tests.support.world import login

PDF = b"%PDF-1.4 bracket drawing\n%%EOF\n"


def _spec(app, world) -> uuid.UUID:
    """A specification uploaded by the client, with real bytes in the store."""
    answer = app.test_client().post(
        "/api/v1/documents",
        data={
            "kind": "specification",
            "title": "Bracket drawing",
            "file": (io.BytesIO(PDF), "BR-100 drawing.pdf"),
        },
        headers=h.api_headers(app, world.orgs["acme"], "admin"),
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)[:300]
    return uuid.UUID(answer.get_json()["revisions"][0]["id"])


def _delivered(app, world) -> uuid.UUID:
    """Released with a specification, acknowledged by phone, received in part."""
    spec = _spec(app, world)
    po_id = o.released(
        app, world, lines=[h.good_line(spec_required=True, spec_revision_ids=[spec])]
    )
    with h.as_provider(app, world) as (session, user_id):
        acknowledgements.record_for_buyer(
            session,
            world.orgs["north"],
            user_id,
            po_id,
            [{"line_no": 1, "outcome": "accepted"}],
            source="phone",
            note="Confirmed by Jo",
        )
    with h.as_provider(app, world) as (session, user_id):
        receipts.receive(
            session,
            world.orgs["north"],
            user_id,
            po_id,
            [{"line_no": 1, "quantity_received": "100"}],
            reference="DN-1",
        )
    return po_id


def _web(app, who):
    web = app.test_client()
    login(web, who)
    return web


def _zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.data))


def _manifest(archive: zipfile.ZipFile) -> dict:
    return json.loads(archive.read("manifest.json"))


def _hashes_match(archive: zipfile.ZipFile) -> None:
    manifest = _manifest(archive)
    names = set(archive.namelist()) - {"manifest.json"}
    assert {f["path"] for f in manifest["files"]} == names
    for entry in manifest["files"]:
        data = archive.read(entry["path"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
        assert len(data) == entry["size"]


def test_the_clients_dossier_holds_every_record_and_its_whole_chain_verifies(app, world):
    po_id = _delivered(app, world)
    po = o.load(app, po_id)
    archive = _zip(_web(app, world.email("acme_sourcing")).get(f"/client/orders/{po_id}/dossier"))
    _hashes_match(archive)
    names = archive.namelist()
    manifest = _manifest(archive)
    assert manifest["order"] == po.number and manifest["missing"] == []

    pdf = archive.read(f"revisions/{po.number}-rev0.pdf")
    assert pdf.startswith(b"%PDF")
    [spec] = [n for n in names if n.startswith("specifications/")]
    assert archive.read(spec) == PDF

    [snapshot_name] = [n for n in names if n.startswith("handoff/") and n.endswith(".json")]
    with h.service_session(app) as session:
        from baton.sourcing.requirements.models import HandoffSnapshot

        stored = session.get(HandoffSnapshot, po.lines[0].snapshot_id).sha256
    assert hashlib.sha256(archive.read(snapshot_name)).hexdigest() == stored
    assert archive.read(snapshot_name + ".sha256").decode().startswith(stored)

    ack = json.loads(archive.read("acknowledgements/acknowledgements.json"))
    assert ack[0]["source"] == "phone" and ack[0]["lines"][0]["outcome"] == "accepted"
    assert "phone" in archive.read("acknowledgements/acknowledgements.csv").decode()
    receipt_csv = archive.read("receipts/receipts.csv").decode()
    assert "DN-1" in receipt_csv and "100" in receipt_csv

    events = [json.loads(line) for line in archive.read("audit/events.jsonl").splitlines()]
    actions = [e["action"] for e in events]
    for action in (
        "purchase_order.created",
        "purchase_order.release",
        "purchase_order.acknowledge",
        "purchase_order.received",
        "document.revision_added",
    ):
        assert action in actions
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    # Anyone can recompute each event's hash from the file, as VERIFICATION.txt says.
    for e in events:
        body = {k: v for k, v in e.items() if k not in ("prev_hash", "hash")}
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256((e["prev_hash"] + text).encode()).hexdigest() == e["hash"]
    verification = archive.read("audit/VERIFICATION.txt").decode()
    assert verification.startswith("VERIFIED\n")
    assert "recomputed from event #1" in verification
    assert manifest["audit_chain"]["verified"] is True
    assert "Released to the supplier" in archive.read("audit/timeline.txt").decode()


def test_the_buyers_dossier_verifies_the_events_the_provider_can_see(app, world):
    po_id = _delivered(app, world)
    buyer = _web(app, world.email("north_buyer"))
    page = buyer.get(f"/provider/orders/{po_id}")
    assert f"/provider/orders/{po_id}/dossier" in page.text
    archive = _zip(buyer.get(f"/provider/orders/{po_id}/dossier"))
    _hashes_match(archive)
    verification = archive.read("audit/VERIFICATION.txt").decode()
    assert verification.startswith("VERIFIED (the events visible to the reader)")
    # The client's own events (its requirement, its documents) are not the provider's.
    assert "not visible to" in verification

    api = app.test_client().get(
        f"/api/v1/purchase-orders/{po_id}/dossier",
        headers=h.api_headers(app, world.orgs["north"], "buyer"),
    )
    assert api.headers["X-Audit-Chain"] == "verified"
    _hashes_match(_zip(api))


def test_an_unreleased_order_lists_its_pdf_as_missing_and_the_get_stores_nothing(app, world):
    po_id = o.draft(app, world)
    o.submit(app, world, o.draft(app, world))  # another order, so counts are not all zero

    def counts() -> dict:
        with h.service_session(app) as session:
            from baton.platform.audit import AuditEvent
            from baton.sourcing.documents.models import DocumentRevision

            return {
                model.__name__: session.scalar(sa.select(sa.func.count()).select_from(model))
                for model in (AuditEvent, DocumentRevision, PurchaseOrder)
            }

    before = counts()
    buyer = _web(app, world.email("north_buyer"))
    archive = _zip(buyer.get(f"/provider/orders/{po_id}/dossier"))
    assert counts() == before
    po = o.load(app, po_id)
    [missing] = _manifest(archive)["missing"]
    assert missing["path"] == f"revisions/{po.number}-rev0.pdf"
    assert "not released yet" in missing["reason"]
    assert o.load(app, po_id).pdf_revision_id is None


def test_another_tenants_order_has_no_dossier(app, world):
    po_id = o.released(app, world)
    assert (
        _web(app, world.email("globex_admin")).get(f"/client/orders/{po_id}/dossier").status_code
        == 404
    )
    assert (
        _web(app, world.email("other_buyer")).get(f"/provider/orders/{po_id}/dossier").status_code
        == 404
    )
    for org, role in (("globex", "admin"), ("other", "buyer")):
        answer = app.test_client().get(
            f"/api/v1/purchase-orders/{po_id}/dossier",
            headers=h.api_headers(app, world.orgs[org], role),
        )
        assert answer.status_code == 404
    # A draft is the provider's alone.
    draft = o.draft(app, world)
    assert (
        _web(app, world.email("acme_admin")).get(f"/client/orders/{draft}/dossier").status_code
        == 404
    )


def test_a_dossier_over_the_size_cap_is_refused_with_a_clear_message(app, world):
    po_id = o.released(app, world)
    with h.as_provider(app, world) as (session, _):
        po = queries.get_for_provider(session, world.orgs["north"], po_id)
        with pytest.raises(dossier.DossierTooLarge, match="more than 0 MB"):
            dossier.build(session, po, world.orgs["north"], max_bytes=10)


@pytest.fixture
def superuser(pg_urls):
    """The superuser with triggers off, as an attacker with database access would be."""
    with psycopg.connect(pg_urls.admin, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        yield conn


@pytest.mark.postgres
def test_a_tampered_audit_event_makes_the_dossier_say_where_the_chain_broke(
    pg_app, pg_world, superuser
):
    app, world = pg_app, pg_world
    po_id = o.released(app, world)
    event_id, seq, original = superuser.execute(
        "SELECT id, seq, changes::text FROM audit_events WHERE entity_id = %s"
        " AND action = 'purchase_order.release'",
        (str(po_id),),
    ).fetchone()
    superuser.execute(
        "UPDATE audit_events SET changes = %s::json WHERE id = %s",
        (original.replace("released", "cancelled"), event_id),
    )
    try:
        for who, path in (
            ("acme_sourcing", f"/client/orders/{po_id}/dossier"),
            ("north_buyer", f"/provider/orders/{po_id}/dossier"),
        ):
            response = _web(app, world.email(who)).get(path)
            archive = _zip(response)
            assert response.headers["X-Audit-Chain"] == "broken"
            verification = archive.read("audit/VERIFICATION.txt").decode()
            assert verification.startswith("BROKEN")
            assert f"event #{seq} (id {event_id}): content does not match its hash" in verification
            chain = _manifest(archive)["audit_chain"]
            assert chain["verified"] is False and chain["broken_at_seq"] == seq
    finally:
        superuser.execute(
            "UPDATE audit_events SET changes = %s::json WHERE id = %s", (original, event_id)
        )


def test_the_dossier_holds_the_shipment_notices_and_their_packing_slips(app, world):
    from tests.support import shipments as s

    po_id = s.acknowledged(app, world)
    token = s.token(app, po_id)
    supplier = app.test_client()
    page = supplier.get(f"/supplier/orders/{token}")
    form = s.notice_form(idempotency_key=s.form_key(page.text))
    sent = supplier.post(
        f"/supplier/orders/{token}/shipments", data=form | {"packing_slip": s.slip()}
    )
    assert sent.status_code == 302
    archive = _zip(_web(app, world.email("acme_admin")).get(f"/client/orders/{po_id}/dossier"))
    _hashes_match(archive)
    [notice] = json.loads(archive.read("shipments/shipment-notices.json"))
    assert (notice["carrier"], notice["lines"]) == (
        "DHL Express",
        [{"line_no": 1, "quantity": "100"}],
    )
    assert "JD014600001" in archive.read("shipments/shipment-notices.csv").decode()
    assert archive.read("shipments/packing-slip.pdf") == s.SLIP


def test_the_dossier_holds_every_revision_the_change_orders_and_the_issues(app, world):
    from tests.support import changes as c
    from tests.support import issues as i

    po_id = o.released(app, world)
    change_id = c.start(app, world, po_id, edits={"notes": "Deliver to gate 2"})
    assert c.submit(app, world, po_id, change_id) == "approved"
    c.release(app, world, po_id, change_id)
    i.route(app, world, i.raised(app, world, po_id), "client")
    archive = _zip(_web(app, world.email("acme_admin")).get(f"/client/orders/{po_id}/dossier"))
    _hashes_match(archive)
    number = o.load(app, po_id).number
    for revision in (0, 1):
        assert archive.read(f"revisions/{number}-rev{revision}.pdf").startswith(b"%PDF")
    [change] = json.loads(archive.read("change-orders/change-orders.json"))
    assert change["status"] == "released"
    assert [
        change["diff"][0]["label"],
        change["diff"][0]["after"],
    ] == ["Notes", "Deliver to gate 2"]
    [issue] = json.loads(archive.read("issues/issues.json"))
    assert (issue["title"], issue["routed_to"]) == ("Cannot ship before March", "client")
    assert [m["body"] for m in issue["thread"]] == ["Kessler says late.", "Please decide."]
    trail = archive.read("audit/events.jsonl").decode()
    assert "change_order" in trail and "order_issue" in trail
    assert archive.read("audit/VERIFICATION.txt").decode().startswith("VERIFIED")
