"""Revoking a token and deactivating a member are asked first: without the
person's confirmation nothing happens, and they are shown what would."""

from __future__ import annotations

import sqlalchemy as sa

from tests.support import requirements as h
from tests.support.world import login


def _admin(app, world):
    client = app.test_client()
    login(client, world.email("acme_admin"))
    return client


def _token(app, world) -> tuple:
    from baton.tenants.models import ApiToken

    h.api_headers(app, world.orgs["acme"], "viewer")
    with h.service_session(app) as session:
        row = session.scalar(
            sa.select(ApiToken).where(ApiToken.organisation_id == world.orgs["acme"])
        )
        return row.id, row.name


def _revoked(app, token_id) -> bool:
    from baton.tenants.models import ApiToken

    with h.service_session(app) as session:
        return session.get(ApiToken, token_id).revoked_at is not None


def _active(app, membership_id) -> bool:
    from baton.tenants.models import Membership

    with h.service_session(app) as session:
        return session.get(Membership, membership_id).is_active


def test_revoking_a_token_without_confirming_only_asks(app, world):
    admin = _admin(app, world)
    token_id, name = _token(app, world)
    asked = admin.post(f"/organisation/api-tokens/{token_id}/revoke")
    assert asked.status_code == 200
    assert f"Revoke the token {name}?" in asked.text
    assert 'data-testid="confirm-step"' in asked.text
    assert not _revoked(app, token_id)

    done = admin.post(f"/organisation/api-tokens/{token_id}/revoke", data={"confirmed": "yes"})
    assert done.status_code == 302 and _revoked(app, token_id)


def test_deactivating_a_member_without_confirming_only_asks(app, world):
    admin = _admin(app, world)
    membership = world.memberships["acme_viewer"]
    asked = admin.post(f"/organisation/members/{membership}/deactivate")
    assert asked.status_code == 200
    assert "Deactivate Acme Viewer?" in asked.text and "signed out at once" in asked.text
    assert _active(app, membership)
    # The viewer's own session still works: nothing was ended.
    viewer = app.test_client()
    login(viewer, world.email("acme_viewer"))
    admin.post(f"/organisation/members/{membership}/deactivate", data={"confirmed": "no"})
    assert _active(app, membership) and viewer.get("/client/").status_code == 200

    done = admin.post(f"/organisation/members/{membership}/deactivate", data={"confirmed": "yes"})
    assert done.status_code == 302 and not _active(app, membership)


def test_the_buttons_ask_in_the_browser_before_posting(app, world):
    admin = _admin(app, world)
    token_id, name = _token(app, world)
    tokens = admin.get("/organisation/api-tokens").text
    assert f'data-confirm="Revoke the token {name}?' in tokens
    members = admin.get("/organisation/members").text
    assert 'data-confirm="Deactivate Acme Viewer?' in members
    assert "/static/baton/confirm.js" in members
    assert "onsubmit=" not in members + tokens  # the CSP forbids inline handlers


def test_another_organisations_token_or_member_is_not_found_not_asked_about(app, world):
    admin = _admin(app, world)
    foreign = world.memberships["globex_admin"]
    assert admin.post(f"/organisation/members/{foreign}/deactivate").status_code == 404
