"""The S3 document store against moto's S3 server over HTTP, through the
unchanged boto3 client: encryption, checksums, versions, presigned downloads,
and a failing store leaving nothing behind."""

from __future__ import annotations

import base64
import hashlib
import io
import urllib.request
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from baton.platform.app import create_app
from tests.handoff.test_documents import (
    document_id_from,
    pdf,
    revisions,
    rows_of,
    upload_new,
    upload_revision,
)
from tests.handoff.test_suppliers_api import api_token
from tests.support.services import free_port
from tests.support.world import login, make_world

pytestmark = pytest.mark.postgres


@pytest.fixture
def s3_world(pg_s3_app):
    return make_world(pg_s3_app)


def bucket_of(app) -> str:
    return app.config["BATON_SETTINGS"].s3_bucket


def versions_under(s3_server, bucket: str, tenant_id: uuid.UUID) -> list[dict]:
    response = s3_server.client().list_object_versions(
        Bucket=bucket, Prefix=f"tenants/{tenant_id}/"
    )
    return response.get("Versions", []) + response.get("DeleteMarkers", [])


def fetch(url: str) -> tuple[bytes, dict]:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - test URL
        return response.read(), dict(response.headers)


def test_an_upload_is_an_encrypted_object_version_with_its_sha256(pg_s3_app, s3_world, s3_server):
    acme = s3_world.orgs["acme"]
    client = pg_s3_app.test_client()
    login(client, s3_world.email("acme_sourcing"))
    content = pdf("s3 stored")
    document_id = document_id_from(upload_new(client, content, "Lager-Zeichnung.pdf"))
    revision = revisions(pg_s3_app, document_id)[0]
    assert revision.storage_key == f"tenants/{acme}/documents/{document_id}/{revision.id}"
    assert revision.storage_version

    head = s3_server.client().head_object(
        Bucket=bucket_of(pg_s3_app),
        Key=revision.storage_key,
        VersionId=revision.storage_version,
        ChecksumMode="ENABLED",
    )
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(content).digest()).decode()
    assert head["ContentType"] == "application/pdf"
    assert head["ContentLength"] == len(content)


def test_download_redirects_to_a_short_lived_presigned_url_that_works(
    pg_s3_app, s3_world, s3_server
):
    client = pg_s3_app.test_client()
    login(client, s3_world.email("acme_sourcing"))
    first, second = pdf("presigned one"), pdf("presigned two")
    document_id = document_id_from(upload_new(client, first, "Ansicht Ä.pdf"))
    assert upload_revision(client, document_id, second, "rev-b.pdf").status_code == 302
    old, new = revisions(pg_s3_app, document_id)
    assert old.storage_key != new.storage_key

    response = client.get(f"/client/documents/{document_id}/revisions/{old.id}/download")
    assert response.status_code == 302
    url = response.headers["Location"]
    assert url.startswith(s3_server.endpoint_url)
    query = parse_qs(urlsplit(url).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert query["versionId"] == [old.storage_version]
    assert response.headers["Cache-Control"] == "private, no-store"

    body, headers = fetch(url)
    assert hashlib.sha256(body).hexdigest() == old.sha256
    assert body == first
    assert "attachment" in headers.get("Content-Disposition", "")
    newer, _ = fetch(
        client.get(f"/client/documents/{document_id}/revisions/{new.id}/download").headers[
            "Location"
        ]
    )
    assert newer == second


def test_a_presigned_url_is_only_issued_after_the_tenant_check(pg_s3_app, s3_world):
    globex = pg_s3_app.test_client()
    login(globex, s3_world.email("globex_sourcing"))
    document_id = document_id_from(upload_new(globex, pdf("globex s3 secret")))
    revision = revisions(pg_s3_app, document_id)[0]

    acme = pg_s3_app.test_client()
    login(acme, s3_world.email("acme_sourcing"))
    page = acme.get(f"/client/documents/{document_id}/revisions/{revision.id}/download")
    assert page.status_code == 404 and "Location" not in page.headers
    auth = api_token(pg_s3_app, s3_world.orgs["acme"], "admin")
    api = acme.get(
        f"/api/v1/documents/{document_id}/revisions/{revision.id}/download-url", headers=auth
    )
    assert api.status_code == 404 and "X-Amz" not in api.text


def test_the_api_returns_a_working_presigned_url(pg_s3_app, s3_world):
    auth = api_token(pg_s3_app, s3_world.orgs["acme"], "sourcing")
    client = pg_s3_app.test_client()
    content = pdf("api presigned")
    created = client.post(
        "/api/v1/documents",
        data={"kind": "quote", "title": "Quote", "file": (io.BytesIO(content), "quote.pdf")},
        headers=auth,
        content_type="multipart/form-data",
    )
    assert created.status_code == 201, created.json
    document, revision = created.json, created.json["revisions"][0]
    link = client.get(
        f"/api/v1/documents/{document['id']}/revisions/{revision['id']}/download-url",
        headers=auth,
    )
    assert link.status_code == 200
    assert 0 < link.json["expires_in"] <= 300
    assert fetch(link.json["url"])[0] == content


def _s3_app(pg_urls, tmp_path, **storage):
    return create_app(
        {
            "instance_path": tmp_path,
            "database_url": pg_urls.app,
            "service_database_url": pg_urls.service,
            "migration_database_url": pg_urls.owner,
            "WTF_CSRF_ENABLED": False,
            "TESTING": True,
            "storage_backend": "s3",
            "s3_region": "us-east-1",
            **storage,
        }
    )


@pytest.mark.parametrize("failure", ["missing bucket", "closed port"])
def test_a_failing_store_leaves_no_row_and_says_so(pg_urls, s3_server, tmp_path, failure):
    if failure == "missing bucket":
        app = _s3_app(
            pg_urls,
            tmp_path,
            s3_bucket=f"no-such-bucket-{uuid.uuid4().hex[:8]}",
            s3_endpoint_url=s3_server.endpoint_url,
        )
    else:
        app = _s3_app(
            pg_urls,
            tmp_path,
            s3_bucket="baton-docs",
            s3_endpoint_url=f"http://127.0.0.1:{free_port()}",
        )
    world = make_world(app)
    acme = world.orgs["acme"]
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    response = upload_new(client, pdf("never stored"), "spec.pdf")
    assert response.status_code == 503
    assert "did not accept the file" in response.text
    assert "nothing was saved" in response.text
    assert rows_of(app, acme) == (0, 0)

    auth = api_token(app, acme, "sourcing")
    api = client.post(
        "/api/v1/documents",
        data={"kind": "drawing", "title": "x", "file": (io.BytesIO(pdf()), "d.pdf")},
        headers=auth,
        content_type="multipart/form-data",
    )
    assert api.status_code == 503 and "nothing was saved" in api.json["message"]
    assert rows_of(app, acme) == (0, 0)


def test_a_database_failure_after_storing_deletes_the_object(
    pg_s3_app, s3_world, s3_server, monkeypatch
):
    from baton.sourcing.documents import services

    acme = s3_world.orgs["acme"]
    client = pg_s3_app.test_client()
    login(client, s3_world.email("acme_sourcing"))

    def broken_audit(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services.audit, "record", broken_audit)
    response = upload_new(client, pdf("rolled back"))
    assert response.status_code == 500
    monkeypatch.undo()
    assert rows_of(pg_s3_app, acme) == (0, 0)
    assert versions_under(s3_server, bucket_of(pg_s3_app), acme) == []


def test_a_kms_key_id_switches_to_sse_kms(pg_urls, s3_server, tmp_path):
    import boto3

    kms = boto3.session.Session().client(
        "kms", endpoint_url=s3_server.endpoint_url, region_name="us-east-1"
    )
    key_id = kms.create_key(Description="baton test documents")["KeyMetadata"]["KeyId"]
    app = _s3_app(
        pg_urls,
        tmp_path,
        s3_bucket=s3_server.versioned_bucket(),
        s3_endpoint_url=s3_server.endpoint_url,
        s3_kms_key_id=key_id,
    )
    world = make_world(app)
    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    content = pdf("kms encrypted")
    document_id = document_id_from(upload_new(client, content))
    revision = revisions(app, document_id)[0]
    head = s3_server.client().head_object(
        Bucket=bucket_of(app), Key=revision.storage_key, VersionId=revision.storage_version
    )
    assert head["ServerSideEncryption"] == "aws:kms"
    assert key_id in head["SSEKMSKeyId"]
    link = client.get(f"/client/documents/{document_id}/revisions/{revision.id}/download")
    assert fetch(link.headers["Location"])[0] == content
