"""The API as an integrator reads it: every operation of the OpenAPI document
says what it does and what each parameter means, every list answers the one
envelope, and a reference page renders the document from files the app
serves itself (no CDN, no inline script)."""

from __future__ import annotations

import re

from tests.support import requirements as h
from tests.support.world import login

METHODS = ("get", "post", "put", "patch", "delete")


def test_every_operation_has_a_summary_and_every_parameter_is_described(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    problems = []
    for path, item in document["paths"].items():
        shared = item.get("parameters", [])
        for method in (m for m in METHODS if m in item):
            operation = item[method]
            where = f"{method.upper()} {path}"
            if not operation.get("summary", "").strip():
                problems.append(f"{where}: no summary")
            parameters = shared + operation.get("parameters", [])
            declared = {p["name"] for p in parameters if p["in"] == "path"}
            for name in re.findall(r"{([^}]+)}", path):
                if name not in declared:
                    problems.append(f"{where}: path parameter {name} not documented")
            for parameter in parameters:
                if not parameter.get("description", "").strip():
                    problems.append(f"{where}: parameter {parameter['name']} has no description")
    assert not problems, "\n".join(problems)


def test_every_list_answers_the_one_envelope_and_pages_the_same_way(app, world):
    client_token = h.api_headers(app, world.orgs["acme"], "admin")
    provider_token = h.api_headers(app, world.orgs["north"], "admin")
    api = app.test_client()
    lists = [
        ("/api/v1/suppliers", client_token),
        ("/api/v1/documents", client_token),
        ("/api/v1/requirements", client_token),
        ("/api/v1/engagements", client_token),
        ("/api/v1/members", client_token),
        ("/api/v1/queue", provider_token),
    ]
    for path, headers in lists:
        body = api.get(path, headers=headers).get_json()
        assert set(body) == {"page", "has_next", "items"}, path
        assert body["page"] == 1 and isinstance(body["items"], list), path
        beyond = api.get(f"{path}?page=2", headers=headers).get_json()
        assert beyond["page"] == 2 and beyond["has_next"] is False, path
        refused = api.get(f"{path}?page=0", headers=headers)
        assert refused.status_code == 422 and "page" in refused.get_json()["errors"], path


def test_an_unknown_filter_value_is_a_422_naming_the_parameter(app, world):
    client_token = h.api_headers(app, world.orgs["acme"], "viewer")
    provider_token = h.api_headers(app, world.orgs["north"], "viewer")
    api = app.test_client()
    cases = [
        ("/api/v1/suppliers?status=excellent", client_token, "status"),
        ("/api/v1/suppliers?lapsed=perhaps", client_token, "lapsed"),
        ("/api/v1/documents?kind=poem", client_token, "kind"),
        ("/api/v1/requirements?status=lost", client_token, "status"),
        ("/api/v1/queue?status=draft", provider_token, "status"),
        ("/api/v1/queue?priority=whenever", provider_token, "priority"),
        ("/api/v1/queue?readiness=maybe", provider_token, "readiness"),
        ("/api/v1/queue?sort=random", provider_token, "sort"),
        ("/api/v1/queue?buyer=somebody", provider_token, "buyer"),
    ]
    for path, headers, name in cases:
        response = api.get(path, headers=headers)
        assert response.status_code == 422, path
        assert name in response.get_json()["errors"], path


def test_the_reference_page_renders_the_document_from_the_apps_own_files(app, world):
    browser = app.test_client()
    login(browser, world.email("acme_admin"))
    tokens = browser.get("/organisation/api-tokens")
    assert 'href="/api/reference"' in tokens.text
    page = app.test_client().get("/api/reference")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources  # nothing from a CDN
    assert "<script>" not in page.text  # the policy would block an inline script
    assert 'data-spec="/api/v1/openapi.json"' in page.text
    for source in sources:
        asset = app.test_client().get(source)
        assert asset.status_code == 200 and len(asset.data) > 0, source
    bundle = next(s for s in sources if s.endswith("swagger-ui-bundle.js"))
    assert b"SwaggerUIBundle" in app.test_client().get(bundle).data
