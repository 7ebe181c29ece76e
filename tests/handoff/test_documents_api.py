"""The document API: multipart uploads, revisions, download URLs, isolation."""

from __future__ import annotations

import hashlib
import io
import uuid

from tests.handoff.test_documents import pdf, revisions, rows_of, stored_files
from tests.handoff.test_suppliers_api import api_token


def post_document(client, auth, content: bytes, filename="spec.pdf", **form):
    data = {"kind": "specification", "title": "API spec", **form}
    data["file"] = (io.BytesIO(content), filename)
    return client.post(
        "/api/v1/documents", data=data, headers=auth, content_type="multipart/form-data"
    )


def test_an_erp_uploads_revises_lists_and_downloads(app, world):
    auth = api_token(app, world.orgs["acme"], "sourcing")
    client = app.test_client()
    first, second = pdf("api one"), pdf("api two")
    created = post_document(client, auth, first, number="SPEC-API-1", note="initial")
    assert created.status_code == 201, created.json
    document = created.json
    assert document["number"] == "SPEC-API-1"
    assert [r["revision_no"] for r in document["revisions"]] == [1]
    assert document["revisions"][0]["sha256"] == hashlib.sha256(first).hexdigest()

    revised = client.post(
        f"/api/v1/documents/{document['id']}/revisions",
        data={"file": (io.BytesIO(second), "spec-b.pdf"), "note": "rev B"},
        headers=auth,
        content_type="multipart/form-data",
    )
    assert revised.status_code == 201, revised.json
    assert revised.json["revision_no"] == 2 and revised.json["note"] == "rev B"

    listed = client.get(f"/api/v1/documents/{document['id']}/revisions", headers=auth)
    assert [r["revision_no"] for r in listed.json["items"]] == [2, 1]
    first_id = listed.json["items"][1]["id"]

    link = client.get(
        f"/api/v1/documents/{document['id']}/revisions/{first_id}/download-url", headers=auth
    )
    assert link.status_code == 200
    # The local store hands out the API's own content endpoint, which needs the token.
    path = link.json["url"].split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 401
    content = client.get("/" + path, headers=auth)
    assert content.status_code == 200 and content.data == first


def test_validation_errors_name_the_field_and_write_nothing(app, world):
    acme = world.orgs["acme"]
    auth = api_token(app, acme, "sourcing")
    client = app.test_client()
    before = rows_of(app, acme)
    no_kind = client.post(
        "/api/v1/documents",
        data={"title": "x", "file": (io.BytesIO(pdf()), "a.pdf")},
        headers=auth,
        content_type="multipart/form-data",
    )
    assert no_kind.status_code == 422 and "kind" in no_kind.json["errors"]
    no_file = client.post(
        "/api/v1/documents",
        data={"kind": "drawing", "title": "x"},
        headers=auth,
        content_type="multipart/form-data",
    )
    assert no_file.status_code == 422 and "file" in no_file.json["errors"]
    program = post_document(client, auth, b"\x7fELF\x02" + b"\x00" * 64, "invoice.pdf")
    assert program.status_code == 422
    assert "invoice.pdf" in program.json["errors"]["file"]
    assert rows_of(app, acme) == before
    assert stored_files(app, acme) == []


def test_another_clients_document_answers_404_by_api(app, world):
    theirs = api_token(app, world.orgs["globex"], "sourcing")
    client = app.test_client()
    created = post_document(client, theirs, pdf("globex api secret"), title="Globex API secret")
    document_id = created.json["id"]
    revision_id = created.json["revisions"][0]["id"]

    ours = api_token(app, world.orgs["acme"], "admin")
    base = f"/api/v1/documents/{document_id}"
    assert client.get(base, headers=ours).status_code == 404
    assert client.get(f"{base}/revisions", headers=ours).status_code == 404
    assert (
        client.get(f"{base}/revisions/{revision_id}/download-url", headers=ours).status_code == 404
    )
    assert client.get(f"{base}/revisions/{revision_id}/content", headers=ours).status_code == 404
    attach = client.post(
        f"{base}/revisions",
        data={"file": (io.BytesIO(pdf()), "mine.pdf")},
        headers=ours,
        content_type="multipart/form-data",
    )
    assert attach.status_code == 404
    assert all(
        d["id"] != document_id for d in client.get("/api/v1/documents", headers=ours).json["items"]
    )
    assert len(revisions(app, uuid.UUID(document_id))) == 1
