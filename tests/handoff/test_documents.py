"""Documents with the local store (the embedded mode): upload, revisions,
history, download, the type and size checks, roles and isolation."""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

import sqlalchemy as sa

from baton.platform.db import db
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.sourcing.documents.models import Document, DocumentRevision
from tests.support.world import login

MB = 1024 * 1024


def pdf(text: str = "") -> bytes:
    return b"%PDF-1.7\n1 0 obj <<>> endobj\n% " + (text or uuid.uuid4().hex).encode() + b"\n%%EOF\n"


def upload_new(client, content: bytes, filename: str = "spec.pdf", **fields):
    data = {"kind": "specification", "title": "Bracket spec", "note": "first issue", **fields}
    data["file"] = (io.BytesIO(content), filename)
    return client.post("/client/documents/new", data=data, content_type="multipart/form-data")


def upload_revision(client, document_id, content: bytes, filename: str = "spec.pdf", note=""):
    return client.post(
        f"/client/documents/{document_id}/revisions",
        data={"file": (io.BytesIO(content), filename), "note": note},
        content_type="multipart/form-data",
    )


def rows_of(app, tenant_id: uuid.UUID) -> tuple[int, int]:
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            docs = session.scalar(
                sa.select(sa.func.count())
                .select_from(Document)
                .where(Document.tenant_id == tenant_id)
            )
            revs = session.scalar(
                sa.select(sa.func.count())
                .select_from(DocumentRevision)
                .where(DocumentRevision.tenant_id == tenant_id)
            )
            return docs, revs
        finally:
            session.close()


def revisions(app, document_id) -> list[DocumentRevision]:
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            return list(
                session.scalars(
                    sa.select(DocumentRevision)
                    .where(DocumentRevision.document_id == document_id)
                    .order_by(DocumentRevision.revision_no)
                )
            )
        finally:
            session.close()


def stored_files(app, tenant_id: uuid.UUID) -> list[Path]:
    root = app.config["BATON_SETTINGS"].documents_path / "tenants" / str(tenant_id)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def document_id_from(response) -> uuid.UUID:
    return uuid.UUID(response.headers["Location"].rstrip("/").split("/")[-1])


def test_revisions_increment_and_every_revision_downloads_unchanged(app, world):
    acme = world.orgs["acme"]
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    first, second = pdf("revision one"), pdf("revision two")
    created = upload_new(client, first, "Halter Ø12 – Zeichnung.pdf", kind="drawing")
    assert created.status_code == 302, created.text
    document_id = document_id_from(created)
    changed = upload_revision(client, document_id, second, note="ECN-221: bore tolerance")
    assert changed.status_code == 302

    revs = revisions(app, document_id)
    assert [r.revision_no for r in revs] == [1, 2]
    assert revs[0].sha256 == hashlib.sha256(first).hexdigest()
    assert revs[1].sha256 == hashlib.sha256(second).hexdigest()
    assert (revs[0].size, revs[0].content_type) == (len(first), "application/pdf")
    assert revs[1].note == "ECN-221: bore tolerance"
    assert revs[0].filename == "Halter Ø12 – Zeichnung.pdf"
    # The key is made from ids only.
    assert revs[0].storage_key == f"tenants/{acme}/documents/{document_id}/{revs[0].id}"

    page = client.get(f"/client/documents/{document_id}")
    assert "ECN-221: bore tolerance" in page.text
    assert "Acme Sourcing" in page.text  # who uploaded

    old = client.get(f"/client/documents/{document_id}/revisions/{revs[0].id}/download")
    assert old.status_code == 200
    assert hashlib.sha256(old.data).hexdigest() == revs[0].sha256
    assert old.headers["Content-Type"] == "application/pdf"
    disposition = old.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=UTF-8''Halter%20%C3%9812" in disposition
    new = client.get(f"/client/documents/{document_id}/revisions/{revs[1].id}/download")
    assert new.data == second


def test_a_renamed_executable_is_refused_naming_the_file(app, world):
    acme = world.orgs["acme"]
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    before = rows_of(app, acme)
    elf = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
    response = upload_new(client, elf, "drawing.pdf")
    assert response.status_code == 422
    assert "drawing.pdf" in response.text
    assert "not a document" in response.text
    pe = upload_new(client, b"MZ\x90\x00\x03" + b"\x00" * 200, "quote.docx")
    assert pe.status_code == 422 and "quote.docx" in pe.text and "Windows program" in pe.text
    script = upload_new(client, b"#!/bin/sh\nrm -rf ~\n", "notes.txt")
    assert script.status_code == 422 and "script" in script.text
    assert rows_of(app, acme) == before
    assert stored_files(app, acme) == []


def test_a_51_mb_file_is_refused_with_the_limit_named_and_nothing_written(app, world):
    acme = world.orgs["acme"]
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    before = rows_of(app, acme)
    response = upload_new(client, pdf() + b"\x00" * (51 * MB), "huge.pdf")
    assert response.status_code == 413
    assert "50 MB limit" in response.text
    assert "nothing was saved" in response.text
    assert rows_of(app, acme) == before
    assert stored_files(app, acme) == []


def test_a_file_just_over_the_limit_is_refused_by_name(app, world):
    """Under the request cap but over the document limit: the service names the file."""
    acme = world.orgs["acme"]
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    before = rows_of(app, acme)
    response = upload_new(client, pdf() + b"\x00" * (50 * MB), "big-drawing.pdf")
    assert response.status_code == 422
    assert "big-drawing.pdf" in response.text and "50 MB limit" in response.text
    assert rows_of(app, acme) == before
    assert stored_files(app, acme) == []


def test_missing_title_names_the_field_and_stores_no_bytes(app, world):
    acme = world.orgs["acme"]
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    response = upload_new(client, pdf(), title="  ")
    assert response.status_code == 422
    assert "Give the document a title" in response.text
    assert stored_files(app, acme) == []


def test_document_numbers_are_unique_per_client(app, world):
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    number = f"DRW-{uuid.uuid4().hex[:6]}"
    assert upload_new(client, pdf(), number=number).status_code == 302
    again = upload_new(client, pdf(), number=number)
    assert again.status_code == 422
    assert "upload a new revision of it instead" in again.text
    other = app.test_client()
    login(other, world.email("globex_sourcing"))
    assert upload_new(other, pdf(), number=number).status_code == 302


def test_viewers_download_but_cannot_upload(app, world):
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    document_id = document_id_from(upload_new(client, pdf()))
    revision = revisions(app, document_id)[0]
    viewer = app.test_client()
    login(viewer, world.email("acme_viewer"))
    assert viewer.get("/client/documents/").status_code == 200
    assert (
        viewer.get(f"/client/documents/{document_id}/revisions/{revision.id}/download").status_code
        == 200
    )
    assert upload_new(viewer, pdf()).status_code == 403
    assert upload_revision(viewer, document_id, pdf()).status_code == 403
    assert len(revisions(app, document_id)) == 1


def test_acme_cannot_see_download_or_revise_a_globex_document(app, world):
    globex = app.test_client()
    login(globex, world.email("globex_sourcing"))
    secret = pdf("globex secret drawing")
    document_id = document_id_from(
        upload_new(globex, secret, "globex-secret.pdf", title="Globex secret")
    )
    revision = revisions(app, document_id)[0]

    acme = app.test_client()
    login(acme, world.email("acme_sourcing"))
    assert acme.get(f"/client/documents/{document_id}").status_code == 404
    download = acme.get(f"/client/documents/{document_id}/revisions/{revision.id}/download")
    assert download.status_code == 404 and secret not in download.data
    assert upload_revision(acme, document_id, pdf("overwrite")).status_code == 404
    assert "Globex secret" not in acme.get("/client/documents/?q=Globex").text
    # A revision id of theirs under a document id of ours is not found either.
    own_id = document_id_from(upload_new(acme, pdf()))
    assert (
        acme.get(f"/client/documents/{own_id}/revisions/{revision.id}/download").status_code == 404
    )
    assert len(revisions(app, document_id)) == 1


def test_a_revision_row_can_never_be_changed(app, world):
    import pytest

    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    document_id = document_id_from(upload_new(client, pdf()))
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            revision = session.scalar(
                sa.select(DocumentRevision).where(DocumentRevision.document_id == document_id)
            )
            revision.sha256 = "0" * 64
            with pytest.raises(RuntimeError, match="never changes"):
                session.flush()
        finally:
            session.rollback()
            session.close()


def test_a_download_carries_the_security_headers_of_every_answer(app, world):
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    document_id = document_id_from(upload_new(client, pdf()))
    (revision,) = revisions(app, document_id)
    download = client.get(f"/client/documents/{document_id}/revisions/{revision.id}/download")
    assert download.status_code == 200
    csp = download.headers["Content-Security-Policy"]
    # The file's own policy is stricter than a page's, and nothing may frame it.
    assert "default-src 'none'" in csp and "sandbox" in csp
    assert "frame-ancestors 'none'" in csp
    assert download.headers["X-Frame-Options"] == "DENY"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Referrer-Policy"] == "same-origin"
    assert "no-store" in download.headers["Cache-Control"]
