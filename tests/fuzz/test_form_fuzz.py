"""A property-based fuzz of every form of the web UI: each POST route of
app.url_map gets hostile values (NUL, CR/LF, lone surrogates, 100,000
characters, absurd numbers and dates, random files) in the fields its pages
render, posted by a signed-in user with a valid CSRF token (CSRF protection
is on here, as in production). No answer may be a 5xx, and no answer may be
the CSRF refusal: the fuzz has to reach the handlers.

Routes are read from the app, fields from the pages: a new form is fuzzed
without an edit here. Ids in URLs come from the isolation harness's
resolvers (tests/support/isolation/resolvers/), so a new URL parameter needs
its resolver there anyway.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from baton.platform.db import db
from baton.platform.signing import sign
from baton.platform.tenancy import SERVICE_CONTEXT
from tests.fuzz.forms import (
    CSRF_REFUSED,
    FILES,
    Browser,
    Form,
    bodies,
    csrf_token,
    encode_form,
    multipart_data,
    post_routes,
    read_forms,
)
from tests.support.isolation import SIGNED_LINK_ENDPOINTS, build_victim, kind_of, path_for
from tests.support.isolation.links import LINK_PURPOSES
from tests.support.world import make_world

EXAMPLES = 25  # per route: about 30 routes, so the fuzz stays near 30 s
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
# Answered for nobody signed in (throttled per address: the fuzz has its own).
ANONYMOUS = {"auth.login", "auth.forgot_password", *SIGNED_LINK_ENDPOINTS}


@pytest.fixture
def fuzz_app(pg_app, tmp_path_factory):
    """The same database as pg_app, with CSRF protection on as in production."""
    from tests.conftest import _make_app

    settings_ = pg_app.config["BATON_SETTINGS"]
    protected = _make_app(
        tmp_path_factory,
        database_url=settings_.database_url,
        service_database_url=settings_.service_database_url,
        migration_database_url=settings_.migration_database_url,
        WTF_CSRF_ENABLED=True,
    )
    yield protected
    protected.extensions["baton.db"].dispose()


def _signed_links(app, world, victim) -> dict[str, str]:
    """Genuine links, so the handlers behind the signature check are fuzzed:
    the victim's invitation, and a reset of the viewer (never the admin the
    fuzz signs in as)."""
    from baton.tenants.models import User
    from baton.tenants.services import reset_fingerprint

    with app.app_context():
        with db.new_service_session(SERVICE_CONTEXT) as session:
            viewer = session.scalar(sa.select(User).where(User.email == world.email("acme_viewer")))
            reset = {"id": str(viewer.id), "fp": reset_fingerprint(viewer)}
        with app.test_request_context():
            return {
                "invitation": sign("invitation", {"id": victim.id("invitation_id")}),
                "reset": sign("reset", reset),
                # The victim's released order, as its supplier's email links it.
                "supplier-order": sign(
                    "supplier-order", LINK_PURPOSES["supplier-order"].victim_payload(victim)
                ),
            }


@pytest.mark.postgres
def test_every_form_takes_hostile_input_without_a_server_error(fuzz_app):
    app = fuzz_app
    world = make_world(app)
    victim = build_victim(app, world)  # for reading the forms and signing links
    address = f"2001:db8::{uuid.uuid4().hex[:4]}"  # its own sign-in throttle
    browsers = {
        "client": Browser(app.test_client(), world.email("acme_admin"), world.orgs["acme"]),
        "provider": Browser(app.test_client(), world.email("north_admin"), world.orgs["north"]),
        "anonymous": Browser(app.test_client(), None, None),
    }
    for browser in browsers.values():
        browser.client.environ_base["REMOTE_ADDR"] = address
        browser.sign_in()
    links = _signed_links(app, world, victim)
    forms = read_forms(app, [browsers["client"].client, browsers["provider"].client], victim.ids)
    rules = post_routes(app)
    assert len(rules) >= 25, "the web UI lost its forms"

    problems: list[str] = []
    for index, rule in enumerate(rules):
        if rule.endpoint in ANONYMOUS:
            browser = browsers["anonymous"]
        else:
            browser = browsers["provider" if rule.rule.startswith("/provider") else "client"]
        # Rows of its own for each route: a fuzzed cancel must not leave the
        # next route's requirement cancelled.
        own = build_victim(app, world, variant=f"f{index}") if rule.arguments else victim
        if rule.endpoint in SIGNED_LINK_ENDPOINTS:
            path = path_for(rule, {"token": links[SIGNED_LINK_ENDPOINTS[rule.endpoint]]})
        else:
            assert kind_of(rule) in ("plain", "id", "public"), rule.rule
            path = path_for(rule, own.ids)
        try:
            _fuzz(rule.endpoint, path, forms.get(rule.endpoint, Form()), browser, own.ids)
        except (Exception, BaseExceptionGroup) as failure:  # report every form, not the first
            problems.append(f"POST {path} ({rule.endpoint}): {failure}")
    assert not problems, "\n\n".join(problems)


def _fuzz(endpoint: str, path: str, form: Form, browser: Browser, real_ids: dict) -> None:
    files = st.none() | FILES if form.multipart else st.none()

    @seed(20260802)
    @FUZZ_SETTINGS
    @given(pairs=bodies(form, real_ids), upload=files, as_multipart=st.booleans())
    def run(pairs, upload, as_multipart) -> None:
        browser.keep_signed_in()
        if form.multipart and (as_multipart or upload is not None):
            response = browser.client.post(
                path,
                data=multipart_data(pairs, browser.token, upload),
                content_type="multipart/form-data",
            )
        else:
            response = browser.client.post(
                path,
                data=encode_form(pairs, browser.token),
                content_type="application/x-www-form-urlencoded",
            )
        text = response.get_data(as_text=True)
        sent = {k: (v[:40] + f"…({len(v)} chars)" if len(v) > 40 else v) for k, v in pairs}
        assert response.status_code < 500, f"{response.status_code} for {sent!r}: {text[:300]}"
        assert CSRF_REFUSED not in text, f"the CSRF check stopped {sent!r}"

    run()


def test_the_fuzz_gets_past_csrf_with_the_token_it_reads(fuzz_app):
    """The fuzz's own premise: CSRF is on in its app, and the token it reads
    from a page is accepted (a request without one is refused)."""
    client = fuzz_app.test_client()
    refused = client.post("/password/forgot", data={"email": "someone@example.com"})
    assert refused.status_code == 400 and CSRF_REFUSED in refused.get_data(as_text=True)
    token = csrf_token(client, "/password/forgot")
    accepted = client.post(
        "/password/forgot", data={"email": "someone@example.com", "csrf_token": token}
    )
    assert accepted.status_code < 400
