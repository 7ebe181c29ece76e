"""Schemathesis against the app's own OpenAPI document (/api/v1/openapi.json).

Every operation gets a bounded number of generated requests, sent with a
client token or a provider token, half of them with ids of rows that exist so
the handlers behind the 404s are reached too. No request may answer 5xx, and
every response must be what the document says: a documented status code, the
documented content type and a body that matches the documented schema.
"""

from __future__ import annotations

import io
import itertools
import uuid
from dataclasses import dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support import requirements as h

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The tenants operations (/me, /engagements, /members) answer both kinds.
PROVIDER_ONLY = "/api/v1/queue"
CLIENT_ONLY = ("/api/v1/requirements", "/api/v1/suppliers", "/api/v1/documents")


@dataclass
class Rows:
    """Real rows of acme (and the work acme hands to north), by path parameter."""

    client_token: str
    provider_token: str
    client_ids: dict[str, str]
    queue_ids: dict[str, str]
    turns: itertools.count = field(default_factory=itertools.count)

    def headers_for(self, path: str) -> dict[str, str]:
        if path.startswith(PROVIDER_ONLY):
            token = self.provider_token
        elif path.startswith(CLIENT_ONLY):
            token = self.client_token
        else:  # deterministic: the generated sequence is, so the alternation is too
            token = self.client_token if next(self.turns) % 2 else self.provider_token
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api_schema(pg_app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", pg_app)


@pytest.fixture
def rows(pg_app, pg_world) -> Rows:
    app, world = pg_app, pg_world
    client_token = h.api_headers(app, world.orgs["acme"], "admin")
    provider_token = h.api_headers(app, world.orgs["north"], "admin")
    uploaded = app.test_client().post(
        "/api/v1/documents",
        data={"kind": "specification", "title": "Fuzz spec", "file": (io.BytesIO(PDF), "f.pdf")},
        headers=client_token,
    )
    assert uploaded.status_code == 201, uploaded.get_data(as_text=True)[:300]
    document = uploaded.get_json()
    supplier = h.make_supplier(app, world)
    draft = h.create_draft(app, world, h.good_data(world, supplier))
    handed_off = h.submitted(app, world, supplier)
    common = {
        "supplier_id": str(supplier),
        "document_id": document["id"],
        "revision_id": document["revisions"][0]["id"],
    }
    return Rows(
        client_token=client_token["Authorization"].removeprefix("Bearer "),
        provider_token=provider_token["Authorization"].removeprefix("Bearer "),
        client_ids=common | {"requirement_id": str(draft)},
        queue_ids=common | {"requirement_id": str(handed_off)},
    )


PDF = b"%PDF-1.4 fuzz\n%%EOF\n"

# Per operation and generation mode (valid and invalid requests): bounded so the
# whole run stays near 20 s.
EXAMPLES = 25
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)


@pytest.mark.postgres
def test_every_api_operation_answers_as_documented_and_never_5xx(api_schema, rows: Rows):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20, "the OpenAPI document lost its operations"
    problems = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, rows)
            except (
                Exception,
                BaseExceptionGroup,
            ) as failure:  # one operation's failure must not hide the others
                problems.append(f"{operation.label} ({mode.value}): {failure}")
    assert not problems, "\n\n".join(problems)


def _fuzz(operation, mode: GenerationMode, rows: Rows) -> None:
    real = rows.queue_ids if operation.path.startswith(PROVIDER_ONLY) else rows.client_ids

    @seed(20260801)
    @FUZZ_SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        for name, value in (case.path_parameters or {}).items():
            # Half of the generated ids are swapped for rows that exist, chosen
            # by the generated value itself so the run stays the same every time.
            if name in real and _even(value):
                case.path_parameters[name] = real[name]
        case.call_and_validate(headers=rows.headers_for(case.path), checks=CHECKS)

    run()


def _even(value: object) -> bool:
    try:
        return uuid.UUID(str(value)).int % 2 == 0
    except ValueError:
        return False
