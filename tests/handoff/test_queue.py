"""The provider's cross-client queue: what is in it, filters, order, pages,
and the count due today per client."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from baton.platform.db import utcnow
from baton.platform.errors import ValidationFailed
from baton.procurement.handoff import queue, review
from baton.sourcing.requirements.models import Requirement
from baton.tenants.models import Organisation
from tests.support import requirements as h
from tests.support.world import login


def refs(page) -> list[str]:
    return [row.requirement.client_reference for row in page.rows]


def read(app, world, filters=None, page_size=50, who="north_buyer"):
    with h.as_provider(app, world, who=who) as (session, uid):
        org = session.get(Organisation, world.orgs["north"])
        return queue.read_queue(
            session, org, uid, filters or queue.QueueFilters(), page_size=page_size
        )


def submitted_for(app, world, client: str, reference: str, **overrides) -> uuid.UUID:
    supplier = h.make_supplier(app, world, client)
    data = h.good_data(world, supplier, client_reference=reference, **overrides)
    data["engagement_id"] = world.engagements[f"{client}-north"]
    rid = h.create_draft(app, world, data, org=client)
    h.submit(app, world, rid, org=client)
    return rid


def set_fields(app, rid, **values):
    with h.service_session(app) as session:
        req = session.get(Requirement, rid)
        for key, value in values.items():
            setattr(req, key, value)


def test_one_queue_across_clients_without_drafts_or_other_providers(app, world):
    submitted_for(app, world, "acme", "A-1")
    submitted_for(app, world, "globex", "G-1")
    h.create_draft(
        app, world, h.good_data(world, h.make_supplier(app, world), client_reference="A-DRAFT")
    )
    # globex's handoff to the other provider is not north's business.
    supplier = h.make_supplier(app, world, "globex")
    data = h.good_data(world, supplier, client_reference="G-OTHER")
    data["engagement_id"] = world.engagements["globex-other"]
    rid = h.create_draft(app, world, data, org="globex")
    h.submit(app, world, rid, org="globex")

    assert sorted(refs(read(app, world))) == ["A-1", "G-1"]
    with h.as_provider(app, world, org="other") as (session, uid):
        page = queue.read_queue(
            session, session.get(Organisation, world.orgs["other"]), uid, queue.QueueFilters()
        )
    assert refs(page) == ["G-OTHER"]


def test_the_page_lists_the_queue_and_links_each_review(app, world):
    rid = submitted_for(app, world, "acme", "A-PAGE")
    client = app.test_client()
    login(client, world.email("north_buyer"))
    page = client.get("/provider/queue/")
    assert page.status_code == 200
    assert f"/provider/requirements/{rid}" in page.text
    assert f"Acme {world.suffix}" in page.text


def test_filters_by_client_status_buyer_priority_readiness_and_need_by(app, world):
    a1 = submitted_for(app, world, "acme", "A-1", priority="urgent")
    a2 = submitted_for(app, world, "acme", "A-2")
    g1 = submitted_for(app, world, "globex", "G-1")
    # Handed off ready (nothing else can be); since then the flag says it is not.
    set_fields(app, a2, ready=False)
    with h.as_provider(app, world) as (session, uid):
        review.claim(session, world.orgs["north"], uid, g1)
        review.open_review(session, world.orgs["north"], uid, a1)
    set_fields(app, a2, earliest_need_by=h.today() + timedelta(days=200))

    def only(**kw):
        return sorted(refs(read(app, world, queue.QueueFilters(**kw))))

    assert only(client_id=world.orgs["globex"]) == ["G-1"]
    assert only(client_id=uuid.uuid4()) == []
    assert only(status="in_review") == ["A-1"]
    assert only(status="submitted") == ["A-2", "G-1"]
    assert only(buyer="me") == ["G-1"]
    assert only(buyer="none") == ["A-1", "A-2"]
    assert only(priority="urgent") == ["A-1"]
    assert only(readiness="not_ready") == ["A-2"]
    assert only(readiness="ready") == ["A-1", "G-1"]
    assert only(need_by_from=h.today() + timedelta(days=100)) == ["A-2"]
    assert only(need_by_to=h.today() + timedelta(days=100)) == ["A-1", "G-1"]


def test_sorts_by_sla_need_by_and_age(app, world):
    ids = {ref: submitted_for(app, world, "acme", ref) for ref in ("X", "Y", "Z")}
    now = utcnow()
    set_fields(
        app,
        ids["X"],
        sla_due_at=now + timedelta(hours=30),
        submitted_at=now - timedelta(hours=1),
        earliest_need_by=h.today() + timedelta(days=10),
    )
    set_fields(
        app,
        ids["Y"],
        sla_due_at=now + timedelta(hours=10),
        submitted_at=now - timedelta(hours=3),
        earliest_need_by=h.today() + timedelta(days=30),
    )
    set_fields(
        app,
        ids["Z"],
        sla_due_at=now + timedelta(hours=20),
        submitted_at=now - timedelta(hours=2),
        earliest_need_by=None,
    )
    assert refs(read(app, world, queue.QueueFilters(sort="sla"))) == ["Y", "Z", "X"]
    assert refs(read(app, world, queue.QueueFilters(sort="need_by"))) == ["X", "Y", "Z"]
    assert refs(read(app, world, queue.QueueFilters(sort="age"))) == ["Y", "Z", "X"]


def test_pages_through_the_whole_queue_without_gaps_or_repeats(app, world):
    made = {submitted_for(app, world, "acme", f"P-{n:02d}") for n in range(7)}
    seen, number = [], 1
    while True:
        page = read(app, world, queue.QueueFilters(page=number), page_size=3)
        seen += [row.requirement.id for row in page.rows]
        if not page.has_next:
            break
        number += 1
    assert number == 3
    assert len(seen) == len(set(seen)) == 7 and set(seen) == made


def test_due_today_counts_per_client_on_the_providers_clock(app, world):
    now = utcnow()
    # The provider works on the clock where the most of today is left, so the
    # test never straddles a midnight, whenever it runs.
    zone = max(
        ("UTC", "Asia/Tokyo", "America/Los_Angeles"),
        key=lambda z: queue.day_bounds(z, now)[1] - now,
    )
    with h.service_session(app) as session:
        session.get(Organisation, world.orgs["north"]).timezone = zone
    _start, end = queue.day_bounds(zone, now)
    # Later today: due today, not yet overdue (whatever the time of day the test runs).
    today_due = now + (end - now) / 2
    a1 = submitted_for(app, world, "acme", "A-1")
    a2 = submitted_for(app, world, "acme", "A-2")
    g1 = submitted_for(app, world, "globex", "G-1")
    g2 = submitted_for(app, world, "globex", "G-2")
    for rid in (a1, a2, g1):
        set_fields(app, rid, sla_due_at=today_due)
    set_fields(app, g2, sla_due_at=now + timedelta(days=3))
    # Returned: waiting on the client, so not on the provider's clock.
    with h.as_provider(app, world) as (session, uid):
        review.return_requirement(
            session, world.orgs["north"], uid, a2, [{"code": "other", "comment": "?"}]
        )
    due = {d.client_name: d.count for d in read(app, world).due_today}
    assert due == {f"Acme {world.suffix}": 1, f"Globex {world.suffix}": 1}
    client = app.test_client()
    login(client, world.email("north_buyer"))
    page = client.get("/provider/queue/")
    assert f'data-client="Acme {world.suffix}"' in page.text


def test_bad_filters_are_reported_not_fatal(app, world):
    with pytest.raises(ValidationFailed) as refused:
        read(app, world, queue.QueueFilters(status="draft", sort="price"))
    assert set(refused.value.errors) == {"status", "sort"}
    client = app.test_client()
    login(client, world.email("north_buyer"))
    page = client.get("/provider/queue/?status=draft&need_by_from=tomorrow")
    assert page.status_code == 200
    assert 'data-testid="filter-problems"' in page.text


def test_clients_never_reach_the_queue(app, world):
    client = app.test_client()
    login(client, world.email("acme_admin"))
    assert client.get("/provider/queue/").status_code == 404
