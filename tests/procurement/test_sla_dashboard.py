"""The client's SLA dashboard, from a March built at chosen times (tests/support/sla.py)."""

from __future__ import annotations

import pytest

from tests.support import sla
from tests.support.world import login, make_world

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def march(pg_app):
    world = make_world(pg_app)
    return world, sla.march(pg_app, world)


def _web(app, world, who="acme_admin"):
    web = app.test_client()
    login(web, world.email(who))
    return web


def test_the_dashboard_shows_targets_against_actuals_and_whose_time_each_breach_was(pg_app, march):
    world, history = march
    web = _web(pg_app, world)
    page = web.get("/client/sla?period=2026-03")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    open("/tmp/slac/page.html", "w").write(text)
