"""The two home pages: what a client's and a provider's people see first, and the
filtered lists each number opens. Every count is for the acting organisation only."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from baton.platform.db import utcnow
from baton.procurement.handoff import overview as provider_dashboard
from baton.procurement.handoff import review
from baton.procurement.handoff.queue import day_bounds
from baton.sourcing import overview as client_dashboard
from baton.sourcing.requirements import services
from baton.sourcing.requirements.models import Requirement
from baton.tenants.models import Organisation
from tests.support import requirements as h
from tests.support.world import login


def handed_off(app, world, client: str, reference: str, provider: str = "north", **overrides):
    supplier = h.make_supplier(app, world, client)
    data = h.good_data(world, supplier, client_reference=reference, **overrides)
    data["engagement_id"] = world.engagements[f"{client}-{provider}"]
    rid = h.create_draft(app, world, data, org=client)
    h.submit(app, world, rid, org=client)
    return rid


def draft(app, world, reference: str, client: str = "acme"):
    data = h.good_data(world, h.make_supplier(app, world, client), client_reference=reference)
    data["engagement_id"] = world.engagements[f"{client}-north"]
    return h.create_draft(app, world, data, org=client)


def give_back(app, world, rid, reasons, comment=None):
    with h.as_provider(app, world) as (session, uid):
        review.return_requirement(session, world.orgs["north"], uid, rid, reasons, comment)


def set_due(app, rid, due):
    with h.service_session(app) as session:
        session.get(Requirement, rid).sla_due_at = due


def signed_in(app, world, who: str):
    client = app.test_client()
    login(client, world.email(who))
    return client


def counts_on(page: str) -> dict[str, int]:
    return {
        key: int(value)
        for key, value in re.findall(
            r'data-bucket="([a-z_]+)".*?data-testid="count-value">(\d+)<', page, re.S
        )
    }


def references_in(page: str, testid: str) -> list[str]:
    return re.findall(rf'data-testid="{testid}" data-reference="([^"]+)"', page)


def client_load_on(page: str, client_name: str) -> dict[str, int]:
    row = re.search(
        rf'data-testid="client-load" data-client="{re.escape(client_name)}">(.*?)</tr>', page, re.S
    )
    assert row, f"no row for {client_name}"
    return {k: int(v) for k, v in re.findall(r'data-testid="([a-z_-]+)">(\d+)<', row.group(1))}


def hrefs(page: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', page)]


# --- the client's home -------------------------------------------------------------------------


def test_client_home_counts_requirements_by_what_needs_doing(app, world):
    draft(app, world, "A-DRAFT-1")
    draft(app, world, "A-DRAFT-2")
    handed_off(app, world, "acme", "A-SUB")
    in_review = handed_off(app, world, "acme", "A-REV")
    returned = handed_off(app, world, "acme", "A-RET")
    accepted = handed_off(app, world, "acme", "A-ACC")
    cancelled = handed_off(app, world, "acme", "A-CAN")
    handed_off(app, world, "globex", "G-SUB")
    with h.as_provider(app, world) as (session, uid):
        north = world.orgs["north"]
        review.open_review(session, north, uid, in_review)
        review.accept(session, north, uid, accepted)
        review.return_requirement(
            session, north, uid, returned, [{"code": "other", "comment": "?"}]
        )
    with h.as_client(app, world) as (session, uid):
        services.cancel(session, world.orgs["acme"], uid, cancelled)

    expected = {"draft": 2, "with_provider": 2, "returned": 1, "accepted": 1}
    with h.as_client(app, world) as (session, _uid):
        buckets = client_dashboard.requirement_buckets(session, world.orgs["acme"])
    assert {b.key: b.count for b in buckets} == expected

    client = signed_in(app, world, "acme_sourcing")
    home = client.get("/client/").text
    assert counts_on(home) == expected
    # Each number opens the requirement list filtered to exactly those requirements.
    with_provider = client.get("/client/requirements/?status=with_provider").text
    assert "/client/requirements/?status=with_provider" in hrefs(home)
    assert set(re.findall(r">(A-[A-Z]+(?:-\d)?)</a>", with_provider)) == {"A-SUB", "A-REV"}
    listed = client.get("/client/requirements/?status=draft").text
    assert set(re.findall(r">(A-[A-Z]+(?:-\d)?)</a>", listed)) == {"A-DRAFT-1", "A-DRAFT-2"}

    globex = signed_in(app, world, "globex_sourcing").get("/client/").text
    assert counts_on(globex) == {"draft": 0, "with_provider": 1, "returned": 0, "accepted": 0}
    assert "A-RET" not in globex


def test_client_home_shows_the_latest_return_with_its_reasons(app, world):
    rid = handed_off(app, world, "acme", "A-RET")
    give_back(app, world, rid, [{"code": "date_not_achievable", "comment": "first try"}])
    h.submit(app, world, rid)
    give_back(
        app,
        world,
        rid,
        [
            {
                "code": "missing_specification",
                "field": "lines[1].specs",
                "comment": "Attach revision 2.",
            },
            {"code": "price_not_valid", "field": "lines[1].unit_price"},
        ],
        "Back to you once more.",
    )
    handed_off(app, world, "acme", "A-OK")

    with h.as_client(app, world) as (session, _uid):
        items = client_dashboard.returned_requirements(session, world.orgs["acme"])
    assert [i.requirement.client_reference for i in items] == ["A-RET"]
    assert [(r.label, r.field, r.comment) for r in items[0].reasons] == [
        ("Missing specification", "Line 1 specifications", "Attach revision 2."),
        ("Price not valid", "Line 1 unit price", None),
    ]

    home = signed_in(app, world, "acme_sourcing").get("/client/").text
    assert references_in(home, "returned-requirement") == ["A-RET"]
    assert "Attach revision 2." in home and "Back to you once more." in home
    assert "first try" not in home  # an earlier return that was already answered
    assert f"/client/requirements/{rid}/edit" in home
    # Readers see the reasons but are not offered the edit.
    approver = signed_in(app, world, "acme_approver").get("/client/").text
    assert "Attach revision 2." in approver
    assert f"/client/requirements/{rid}/edit" not in approver

    globex = signed_in(app, world, "globex_sourcing").get("/client/").text
    assert references_in(globex, "returned-requirement") == []
    assert "Attach revision 2." not in globex


def test_client_home_lists_suppliers_whose_qualification_lapsed_or_runs_out(app, world):
    today = h.today()
    make = h.make_supplier
    make(app, world, code="LAPSED", qualified_until=today - timedelta(days=3), name="Lapsed Ltd")
    make(
        app,
        world,
        code="SOON",
        status="conditional",
        qualified_until=today + timedelta(days=10),
        name="Soon GmbH",
    )
    make(app, world, code="LATER", qualified_until=today + timedelta(days=45), name="Later SA")
    make(
        app,
        world,
        code="SUSP",
        status="suspended",
        qualified_until=today + timedelta(days=5),
        name="Suspended AB",
    )
    make(app, world, code="OPEN", name="Open-ended Inc")
    make(app, world, "globex", code="GLAPSED", qualified_until=today - timedelta(days=1))

    with h.as_client(app, world) as (session, _uid):
        listed = client_dashboard.suppliers_to_requalify(session, world.orgs["acme"])
    assert [s.code for s in listed] == ["LAPSED", "SOON"]

    home = signed_in(app, world, "acme_admin").get("/client/").text
    assert re.findall(r'data-testid="supplier" data-code="([^"]+)"', home) == ["LAPSED", "SOON"]
    lapsed_on = (today - timedelta(days=3)).isoformat()
    assert f"Qualification lapsed on {lapsed_on}" in home
    assert f"until {(today + timedelta(days=10)).isoformat()}" in home
    assert "GLAPSED" not in home

    globex = signed_in(app, world, "globex_admin").get("/client/").text
    assert re.findall(r'data-testid="supplier" data-code="([^"]+)"', globex) == ["GLAPSED"]
    assert "Lapsed Ltd" not in globex


# --- the provider's home -----------------------------------------------------------------------


def test_provider_home_shows_due_today_overdue_and_open_per_client(app, world):
    start, end = day_bounds("UTC")
    today_later = end - timedelta(seconds=1)
    due_today = handed_off(app, world, "acme", "A-TODAY")
    late = handed_off(app, world, "acme", "A-LATE")
    # Fell due earlier today: overdue, and not also "due today".
    earlier_today = handed_off(app, world, "acme", "A-EARLIER")
    set_due(app, earlier_today, start + (utcnow() - start) / 2)
    handed_off(app, world, "acme", "A-LATER")
    waiting_on_client = handed_off(app, world, "acme", "A-RET")
    set_due(app, due_today, today_later)
    set_due(app, late, start - timedelta(hours=2))
    # Returned: in the queue, but the clock waits on the client, so never overdue.
    set_due(app, waiting_on_client, start - timedelta(hours=5))
    give_back(app, world, waiting_on_client, [{"code": "other", "comment": "?"}])
    draft(app, world, "A-DRAFT")
    handed_off(app, world, "globex", "G-1")
    handed_off(app, world, "globex", "G-OTHER", provider="other")

    with h.as_provider(app, world) as (session, _uid):
        loads = provider_dashboard.client_load(
            session, session.get(Organisation, world.orgs["north"])
        )
    acme, globex = f"Acme {world.suffix}", f"Globex {world.suffix}"
    assert [(c.client_name, c.due_today, c.overdue, c.open) for c in loads] == [
        (acme, 1, 2, 5),
        (globex, 0, 0, 1),
    ]

    buyer = signed_in(app, world, "north_buyer")
    home = buyer.get("/provider/").text
    assert client_load_on(home, acme) == {"due-today": 1, "overdue": 2, "open": 5}
    assert client_load_on(home, globex) == {"due-today": 0, "overdue": 0, "open": 1}
    # The numbers open the queue filtered to exactly what they count.
    links = {
        kind: next(
            link
            for link in hrefs(home)
            if f"client_id={world.orgs['acme']}" in link and link.endswith(suffix)
        )
        for kind, suffix in (("today", "due=today"), ("overdue", "due=overdue"))
    }
    assert references_in(buyer.get(links["today"]).text, "queue-row") == ["A-TODAY"]
    assert sorted(references_in(buyer.get(links["overdue"]).text, "queue-row")) == [
        "A-EARLIER",
        "A-LATE",
    ]
    assert sorted(
        references_in(
            buyer.get(f"/provider/queue/?client_id={world.orgs['acme']}").text, "queue-row"
        )
    ) == ["A-EARLIER", "A-LATE", "A-LATER", "A-RET", "A-TODAY"]

    refused = buyer.get("/provider/queue/?due=yesterday")
    assert refused.status_code == 200 and 'data-testid="filter-problems"' in refused.text

    # A provider engaged by Globex only sees Globex's line, and nothing of Acme.
    other = signed_in(app, world, "other_buyer").get("/provider/").text
    assert client_load_on(other, globex) == {"due-today": 0, "overdue": 0, "open": 1}
    assert acme not in other and "A-TODAY" not in other
    # Clients have no provider home.
    assert signed_in(app, world, "globex_admin").get("/provider/").status_code == 404


def test_provider_home_lists_my_claims_and_unclaimed_arrivals(app, world):
    mine = handed_off(app, world, "acme", "A-MINE")
    admins = handed_off(app, world, "acme", "A-ADMIN")
    opened = handed_off(app, world, "acme", "A-OPENED")
    new = handed_off(app, world, "globex", "G-NEW")
    set_due(app, mine, utcnow() - timedelta(hours=1))
    with h.as_provider(app, world) as (session, uid):
        review.claim(session, world.orgs["north"], uid, mine)
    with h.as_provider(app, world, who="north_admin") as (session, uid):
        review.claim(session, world.orgs["north"], uid, admins)
        # Opened for review but nobody claimed it: no longer a new arrival.
        review.open_review(session, world.orgs["north"], uid, opened)

    with h.as_provider(app, world) as (session, uid):
        home = provider_dashboard.provider_home(
            session, session.get(Organisation, world.orgs["north"]), uid, can_claim=True
        )
    assert [r.requirement.client_reference for r in home.mine.rows] == ["A-MINE"]
    assert [r.requirement.client_reference for r in home.arrivals.rows] == ["G-NEW"]

    buyer = signed_in(app, world, "north_buyer")
    page = buyer.get("/provider/").text
    assert references_in(page, "mine-row") == ["A-MINE"]
    assert 'data-overdue="true"' in page  # its SLA due time has passed
    assert references_in(page, "arrival-row") == ["G-NEW"]
    assert "/provider/queue/?buyer=me" in hrefs(page)
    assert "/provider/queue/?buyer=none&status=submitted" in hrefs(page)
    admin_page = signed_in(app, world, "north_admin").get("/provider/").text
    assert references_in(admin_page, "mine-row") == ["A-ADMIN"]

    # Claiming from the home page brings the buyer back to it, with the claim listed.
    claimed = buyer.post(f"/provider/queue/{new}/claim", data={"next": "/provider/"})
    assert claimed.status_code == 302 and claimed.headers["Location"].endswith("/provider/")
    page = buyer.get("/provider/").text
    assert sorted(references_in(page, "mine-row")) == ["A-MINE", "G-NEW"]
    assert references_in(page, "arrival-row") == []


def test_requirement_list_refuses_unknown_status_filters(app, world):
    draft(app, world, "A-DRAFT")
    client = signed_in(app, world, "acme_sourcing")
    page = client.get("/client/requirements/?status=" + uuid.uuid4().hex).text
    assert "A-DRAFT" in page  # an unknown filter shows everything rather than nothing
