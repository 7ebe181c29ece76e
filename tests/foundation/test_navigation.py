"""The top bar: the daily work in the bar, the organisation's settings in one menu."""

from __future__ import annotations

import re

from tests.support.world import login


def _bar(html: str) -> str:
    return html[html.index('id="nav"') : html.index('data-testid="org-switcher"')]


def test_the_settings_pages_sit_under_organisation_and_the_work_in_the_bar(app, world):
    client = app.test_client()
    login(client, world.email("acme_admin"))
    bar = _bar(client.get("/client/issues").text)
    top = re.findall(r'<a class="nav-link[^"]*" href="[^"]+">([^<]+)</a>', bar)
    assert top[:3] == ["Home", "Suppliers", "Documents"] and "Issues" in top
    assert "Audit log" not in top and "Members" not in top
    menu = bar[bar.index(">Organisation<") :]
    assert re.findall(r'class="dropdown-item[^"]*" href="[^"]+">([^<]+)<', menu) == [
        "Engagements",
        "Members",
        "API tokens",
        "Audit log",
        "Jobs",
        "Usage",
    ]
    # A buyer has none of the permissions but engagements: the menu has just that.
    login(client, world.email("north_buyer"))
    bar = _bar(client.get("/provider/follow-up").text)
    menu = bar[bar.index(">Organisation<") :]
    assert re.findall(r'class="dropdown-item[^"]*" href="[^"]+">([^<]+)<', menu) == ["Engagements"]
