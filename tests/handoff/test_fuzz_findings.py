"""What the schemathesis run and the form fuzz (tests/fuzz/) found, one test
each: a 500 that is now a 4xx naming the field, or an OpenAPI document that
said something other than what the API answers."""

from __future__ import annotations

import io

import pytest

from tests.handoff.test_documents import pdf, rows_of
from tests.support import requirements as h


@pytest.fixture
def erp(app, world):
    return app.test_client(), h.api_headers(app, world.orgs["acme"], "sourcing")


def openapi(app) -> dict:
    return app.test_client().get("/api/v1/openapi.json").get_json()


@pytest.mark.parametrize(
    "path", ["/api/v1/documents?q=a%00b", "/api/v1/suppliers?q=a%00b", "/api/v1/requirements?q=%00"]
)
def test_a_nul_character_in_a_search_is_refused_by_name(app, world, erp, path):
    client, headers = erp
    response = client.get(path, headers=headers)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert "NUL" in response.get_json()["errors"]["q"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "Spec\x00sheet", "NUL"),
        ("title", "Spec\r\nBcc: someone", "one line"),
        ("note", "first\x00draft", "NUL"),
    ],
)
def test_a_document_upload_with_a_nul_or_a_broken_title_names_the_field(
    app, world, erp, field, value, message
):
    client, headers = erp
    before = rows_of(app, world.orgs["acme"])
    data = {"kind": "specification", "title": "Fuzzed spec", field: value}
    data["file"] = (io.BytesIO(pdf("nul")), "spec.pdf")
    response = client.post(
        "/api/v1/documents", data=data, headers=headers, content_type="multipart/form-data"
    )
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert message in response.get_json()["errors"][field]
    assert rows_of(app, world.orgs["acme"]) == before


def test_the_document_describes_an_upload_as_one_multipart_body(app):
    operation = openapi(app)["paths"]["/api/v1/documents"]["post"]
    # OpenAPI 2's formData parameters: no OpenAPI 3 client sends them.
    assert not [p for p in operation.get("parameters", []) if p["in"] == "formData"]
    ref = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    body = openapi(app)["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"file", "kind", "title", "number", "note"} <= set(body["properties"])
    assert {"file", "kind", "title"} <= set(body["required"])


def test_an_upload_sent_as_the_document_describes_it_is_stored(app, world, erp):
    client, headers = erp
    data = {"kind": "drawing", "title": "Bracket drawing", "note": "rev A"}
    data["file"] = (io.BytesIO(pdf("drawing")), "drawing.pdf")
    created = client.post(
        "/api/v1/documents", data=data, headers=headers, content_type="multipart/form-data"
    )
    assert created.status_code == 201, created.get_data(as_text=True)[:300]
    assert created.get_json()["kind"] == "drawing"
    assert created.get_json()["revisions"][0]["note"] == "rev A"
    missing_file = client.post(
        f"/api/v1/documents/{created.get_json()['id']}/revisions",
        data={"note": "no file"},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert missing_file.status_code == 422
    assert "file" in missing_file.get_json()["errors"]


def test_the_error_shape_in_the_document_is_the_one_the_api_answers(app, erp):
    client, headers = erp
    error = client.get("/api/v1/suppliers?page=0", headers=headers).get_json()
    schema = openapi(app)["components"]["schemas"]["Error"]
    assert isinstance(error["status"], int) and schema["properties"]["status"]["type"] == "integer"
    assert set(error) <= set(schema["properties"])


def test_engagement_sla_hours_are_documented_as_the_strings_they_are(app, world):
    headers = h.api_headers(app, world.orgs["acme"], "admin")
    engagement = (
        app.test_client().get("/api/v1/engagements", headers=headers).get_json()["items"][0]
    )
    assert isinstance(engagement["sla_handoff_to_release_hours"], str)
    hours = openapi(app)["components"]["schemas"]["Engagement"]["properties"]
    assert hours["sla_handoff_to_release_hours"]["type"] == "string"
    assert hours["sla_release_to_ack_hours"]["type"] == "string"


@pytest.mark.parametrize("path", ["/login", "/password/forgot"])
def test_a_nul_in_the_sign_in_email_is_refused_by_name(app, world, path):
    from tests.support.world import PASSWORD

    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "2001:db8::f00d"  # its own sign-in throttle
    response = client.post(path, data={"email": "admin\x00@example.com", "password": PASSWORD})
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert "Enter a valid email address" in response.get_data(as_text=True)


def test_an_invitation_to_an_address_with_a_control_character_names_the_email(app, world):
    from tests.support.world import login

    client = app.test_client()
    login(client, world.email("acme_admin"))
    response = client.post(
        "/organisation/members/invite",
        data={"email": "new\x00person@example.com", "role": "viewer"},
        follow_redirects=True,
    )
    assert response.status_code < 500
    assert "Enter a valid email address" in response.get_data(as_text=True)
