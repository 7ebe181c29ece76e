"""An API call's first statement finds the token and writes the row-level
security settings in the same round trip: what it writes must be exactly the
context the request then acts in, and nothing at all for a token that fails."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from baton.platform.db import db, get_context, set_context
from baton.platform.tenancy import NO_CONTEXT
from baton.tenants import services
from baton.tenants.models import ApiToken, Organisation
from tests.support import requirements as h

pytestmark = pytest.mark.postgres


def _settings(session) -> tuple[str, str, set[uuid.UUID]]:
    """The acting organisation, its kind, and the tenants the policies let it
    see (``baton_tenant_ids()``, whichever way the setting names them)."""
    org_id, kind, ids = session.execute(
        sa.text(
            "SELECT current_setting('baton.org_id', true), current_setting('baton.org_kind', true),"
            " baton_tenant_ids()"
        )
    ).one()
    return org_id or "", kind or "", set(ids)


def _tenant_ids_setting(session) -> str:
    return session.execute(sa.text("SELECT current_setting('baton.tenant_ids', true)")).scalar()


def _token(app, org_id: uuid.UUID, role: str) -> str:
    return h.api_headers(app, org_id, role)["Authorization"].removeprefix("Bearer ")


def test_a_provider_tokens_lookup_sets_its_engaged_clients_and_nothing_else(pg_app, pg_world):
    app, world = pg_app, pg_world
    north = world.orgs["north"]
    token = _token(app, north, "buyer")
    with h.service_session(app) as service:
        expected = services.engaged_client_ids(service, north) | {north}
    with app.app_context():
        session = db.new_session(NO_CONTEXT)
        try:
            row, ctx = services.token_with_context(session, token)
            assert row.organisation_id == north and ctx.org_kind == "provider"
            assert ctx.tenant_ids == expected and world.orgs["acme"] in expected
            assert _settings(session) == (str(north), "provider", expected)
            # Named, not listed: the policies read the set from provider_visibility.
            assert _tenant_ids_setting(session) == "engaged"
            # The request then attaches the same context without sending it again.
            set_context(session, ctx)
            assert get_context(session) == ctx
            assert _settings(session) == (str(north), "provider", expected)
        finally:
            session.close()


def test_a_client_tokens_lookup_sets_the_client_alone(pg_app, pg_world):
    app, world = pg_app, pg_world
    acme = world.orgs["acme"]
    token = _token(app, acme, "sourcing")
    with app.app_context():
        session = db.new_session(NO_CONTEXT)
        try:
            _, ctx = services.token_with_context(session, token)
            assert ctx.tenant_ids == {acme} and ctx.org_kind == "client"
            assert _settings(session) == (str(acme), "client", {acme})
            assert _tenant_ids_setting(session) == "{" + str(acme) + "}"
        finally:
            session.close()


def test_a_revoked_token_or_an_inactive_organisation_sets_nothing(pg_app, pg_world):
    app, world = pg_app, pg_world
    north = world.orgs["north"]
    revoked, inactive = _token(app, north, "buyer"), _token(app, world.orgs["acme"], "sourcing")
    with h.service_session(app) as service:
        row = service.scalar(
            sa.select(ApiToken)
            .where(ApiToken.organisation_id == north)
            .order_by(ApiToken.created_at.desc())
        )
        services.revoke_api_token(service, service.get(Organisation, north), row.id)
        service.get(Organisation, world.orgs["acme"]).is_active = False
    with app.app_context():
        for token in (revoked, inactive, "not-a-token"):
            session = db.new_session(NO_CONTEXT)
            try:
                assert services.token_with_context(session, token) is None
                assert _settings(session) == ("", "", set())
            finally:
                session.close()
