"""The provider's SLA side across clients: compliance per client on its own time,
breaches and whose time they were, credits, items at risk before they breach
(on the SLA page and in the queue), workload per buyer, and the API.

History is made at chosen past times through the real services and rolled up
as the scheduled job does. North's calendar: UTC, Monday to Friday 09:00-17:00;
the handoff target is 95 % within 16 business hours."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from tests.support import requirements as h
from tests.support import sla_history as sla
from tests.support.world import login

MONDAY = datetime(2030, 1, 7, 9, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


THURSDAY_9 = at("2030-01-10T09:00")


def _history(app, world) -> dict[str, object]:
    """Three handoffs of acme in the week of 7 January 2030:

    * late: handed off Monday 09:00, untouched: past its 16 hours on Tuesday 17:00,
      all of it the provider's time;
    * returned: handed off Monday 09:00, returned at 10:00, answered by the client on
      Wednesday at 16:00 (22 business hours of client time): over 16 hours in all,
      but not on the provider's time;
    * soon: handed off Wednesday 09:00, claimed by north's buyer, due Thursday 17:00.
    """
    sla.set_targets(app, world)
    supplier = h.make_supplier(app, world)
    late = sla.handed_off(app, world, MONDAY, supplier, title="Late brackets")
    answered = sla.handed_off(app, world, MONDAY, supplier, title="Returned brackets")
    sla.returned(app, world, answered, at("2030-01-07T10:00"))
    sla.resubmitted(app, world, answered, at("2030-01-09T16:00"))
    soon = sla.handed_off(app, world, at("2030-01-09T09:00"), supplier, title="Soon brackets")
    sla.claimed(app, world, soon, at("2030-01-09T09:30"))
    sla.roll_up(app, world, THURSDAY_9)
    return {"late": late, "answered": answered, "soon": soon}


def _signed_in(app, who: str):
    client = app.test_client()
    login(client, who)
    return client


def _get(app, who: str, when: datetime, url: str):
    """One page as ``who`` sees it at ``when`` (signed in then: sessions expire)."""
    with time_machine.travel(when, tick=False):
        return _signed_in(app, who).get(url)


def _rows(text: str, testid: str) -> list[str]:
    """Each table row marked ``testid``, up to its end."""
    return [chunk.split("</tr>")[0] for chunk in text.split(f'data-testid="{testid}"')[1:]]


def test_the_provider_admin_sees_compliance_breaches_and_credit_per_client(app, world):
    ids = _history(app, world)
    page = _get(app, world.email("north_admin"), THURSDAY_9, "/provider/sla/")
    assert page.status_code == 200
    acme = f"Acme {world.suffix}"
    row = next(r for r in _rows(page.text, "sla-client") if f'data-client="{acme}"' in r[:200])
    # Two judged (late, returned); only late missed on north's own time.
    handoff = row.split('data-testid="compliance-handoff_to_release"')[1].split("</td>")[0]
    assert 'data-missed="yes"' in handoff
    assert "50.0 %" in handoff and "0.0 % on all time" in handoff and "2 judged" in handoff
    breaches = row.split('data-testid="client-breaches"')[1].split("</td>")[0]
    assert 'data-testid="breaches-provider">1<' in breaches
    # The returned one twice on the client's time: handoff to release, and the
    # client's own 8-hour answer target (22 business hours).
    assert 'data-testid="breaches-client">2<' in breaches
    # 2 % of 12,000.00 EUR for the one missed target.
    assert "240.00 EUR" in row.split('data-testid="client-credit"')[1]
    # The month's breaches, each with whose time it was, linking to the requirement.
    breach_rows = _rows(page.text, "breach-row")
    found = sorted(
        (
            "Late" if "Late brackets" in r else "Returned",
            "answer" if "Client&#39;s answer" in r else "handoff",
            r.split('data-party="')[1].split('"')[0],
        )
        for r in breach_rows
    )
    assert found == [
        ("Late", "handoff", "provider"),
        ("Returned", "answer", "client"),
        ("Returned", "handoff", "client"),
    ]
    assert f"/provider/requirements/{ids['late']}" in page.text
    # Breaches by cause: the handoff metric, one on each party's time.
    causes = _rows(page.text, "cause-row")
    assert any('data-metric="handoff_to_release"' in c for c in causes)
    # Globex (north's other client) has nothing judged and no credit.
    globex = next(r for r in _rows(page.text, "sla-client") if f"Globex {world.suffix}" in r[:200])
    assert "nothing judged" in globex and "none" in globex.split('data-testid="client-credit"')[1]


def test_items_at_risk_warn_before_the_breach_and_breached_ones_are_listed(app, world):
    ids = _history(app, world)
    page = _get(app, world.email("north_admin"), THURSDAY_9, "/provider/sla/").text
    risk = _rows(page, "risk-row")
    states = {r.split('data-state="')[1].split('"')[0]: r for r in risk}
    assert set(states) == {"at_risk", "breached"}
    assert "Soon brackets" in states["at_risk"] and "North Buyer" in states["at_risk"]
    assert "Late brackets" in states["breached"]
    assert not any("Returned brackets" in r for r in risk)  # due Friday 15:00: not yet
    assert 'data-testid="sla-risk-warning"' in page

    buyer = world.email("north_buyer")
    # Wednesday 10:00: 15 business hours left on "soon", nothing to warn about yet.
    queue = _get(app, buyer, at("2030-01-09T10:00"), "/provider/queue/").text
    assert 'data-testid="at-risk-warning"' not in queue
    # Thursday 09:00: 8 hours left, one working day: the warning and the row's badge.
    queue = _get(app, buyer, THURSDAY_9, "/provider/queue/").text
    filtered = _get(app, buyer, THURSDAY_9, "/provider/queue/?due=at_risk").text
    assert 'data-testid="at-risk-warning"' in queue and "1 requirement at risk" in queue
    soon_row = next(r for r in _rows(queue, "queue-row") if "Soon brackets" in r)
    assert 'data-testid="at-risk-badge"' in soon_row
    late_row = next(r for r in _rows(queue, "queue-row") if "Late brackets" in r)
    assert 'data-testid="at-risk-badge"' not in late_row  # already past due: red, not at risk
    assert [("Soon brackets" in r) for r in _rows(filtered, "queue-row")] == [True]
    # Thursday 17:30: "soon" is past due, so breached rather than at risk; the
    # returned one (due Friday 15:00) is now within a working day of its breach.
    queue = _get(app, buyer, at("2030-01-10T17:30"), "/provider/queue/").text
    badged = {
        r.split('data-reference="')[1].split('"')[0]
        for r in _rows(queue, "queue-row")
        if 'data-testid="at-risk-badge"' in r
    }
    assert badged == {h.load(app, ids["answered"]).client_reference}


def test_a_weekend_does_not_put_friday_work_at_risk_too_early(app, world):
    sla.set_targets(app, world)
    supplier = h.make_supplier(app, world)
    sla.handed_off(app, world, at("2030-01-10T13:00"), supplier, title="Thursday handoff")
    buyer = world.email("north_buyer")
    # Due Monday 13:00 (4 h Thursday, 8 Friday, 4 Monday). Friday 16:00 is 5 business
    # hours before it (1 on Friday, 4 on Monday) although 69 wall-clock hours remain.
    friday_late = _get(app, buyer, at("2030-01-11T16:00"), "/provider/queue/").text
    assert 'data-testid="at-risk-badge"' in friday_late
    friday_early = _get(app, buyer, at("2030-01-11T09:00"), "/provider/queue/").text
    assert 'data-testid="at-risk-badge"' not in friday_early


def test_workload_and_throughput_per_buyer(app, world):
    _history(app, world)
    page = _get(app, world.email("north_admin"), THURSDAY_9, "/provider/sla/").text
    buyers = {r.split('data-buyer="')[1].split('"')[0]: r for r in _rows(page, "buyer-row")}
    assert ">1</a>" in buyers["North Buyer"]  # "soon", claimed
    assert ">2</a>" in buyers["Unassigned"]  # late and returned


def test_a_figure_drills_down_to_the_measures_behind_it(app, world):
    ids = _history(app, world)
    admin, acme = world.email("north_admin"), world.orgs["acme"]
    url = f"/provider/sla/measures?client_id={acme}&party=client&period=2030-01"
    listed = _get(app, admin, THURSDAY_9, url).text
    bad = _get(app, admin, THURSDAY_9, "/provider/sla/measures?period=January&party=nobody")
    rows = _rows(listed, "measure-row")
    # The returned requirement's two measures, each missed on the client's time.
    metrics = sorted(r.split('data-metric="')[1].split('"')[0] for r in rows)
    assert metrics == ["client_answer", "handoff_to_release"]
    assert all("Returned brackets" in r and "client's time" in r for r in rows)
    assert all(f"/provider/requirements/{ids['answered']}" in r for r in rows)
    assert bad.status_code == 200 and 'data-testid="filter-problems"' in bad.text
    assert "Give a month as YYYY-MM" in bad.text


def test_the_api_answers_the_standing_and_the_items_at_risk(app, world):
    _history(app, world)
    api = app.test_client()
    headers = h.api_headers(app, world.orgs["north"], "buyer")
    with time_machine.travel(THURSDAY_9, tick=False):
        body = api.get("/api/v1/provider/sla?period=2030-01", headers=headers).json
        bad = api.get("/api/v1/provider/sla?period=2030-13", headers=headers)
    assert body["period"] == "2030-01"
    acme = next(c for c in body["clients"] if c["client_id"] == str(world.orgs["acme"]))
    handoff = next(t for t in acme["targets"] if t["metric"] == "handoff_to_release")
    assert (handoff["compliance_percent"], handoff["actual_percent"], handoff["missed"]) == (
        "50.0",
        "0.0",
        True,
    )
    assert acme["breaches"] == {"provider": 1, "client": 2, "supplier": 0}
    assert (acme["credit"]["amount"], acme["credit"]["currency"]) == ("240.00", "EUR")
    states = sorted((i["state"], i["label"].split(" ", 1)[1]) for i in body["at_risk"])
    assert states == [("at_risk", "Soon brackets"), ("breached", "Late brackets")]
    assert bad.status_code == 422 and "period" in bad.json["errors"]
    client_headers = h.api_headers(app, world.orgs["acme"], "admin")
    assert api.get("/api/v1/provider/sla", headers=client_headers).status_code == 404


def test_another_provider_sees_none_of_it(app, world):
    _history(app, world)
    other = world.email("other_admin")
    page = _get(app, other, THURSDAY_9, "/provider/sla/?period=2030-01").text
    url = f"/provider/sla/measures?client_id={world.orgs['acme']}&period=2030-01"
    listed = _get(app, other, THURSDAY_9, url).text
    assert f"Acme {world.suffix}" not in page and "brackets" not in page
    assert _rows(listed, "measure-row") == []
    client = _signed_in(app, world.email("acme_admin"))
    assert client.get("/provider/sla/").status_code in (403, 404)


@pytest.mark.postgres
def test_the_sla_page_costs_the_same_statements_with_more_items(pg_app, pg_world):
    from tests.foundation.test_read_statements import counted

    app, world = pg_app, pg_world
    _history(app, world)

    def count() -> int:
        with time_machine.travel(THURSDAY_9, tick=False):
            admin = _signed_in(app, world.email("north_admin"))
            admin.get("/provider/sla/")
            with counted(app) as statements:
                assert admin.get("/provider/sla/").status_code == 200
        return len(statements)

    before = count()
    supplier = h.make_supplier(app, world)
    for title in ("More late", "Even more late"):
        sla.handed_off(app, world, MONDAY, supplier, title=title)
    rid = sla.handed_off(app, world, at("2030-01-09T09:00"), supplier, title="More soon")
    sla.claimed(app, world, rid, at("2030-01-09T09:30"))
    with time_machine.travel(MONDAY, tick=False):
        h.submitted_for_globex(app, world)
    sla.roll_up(app, world, THURSDAY_9, "acme", "globex")
    assert count() == before
