"""What a buyer expects on the requirement screens: the value of what is bought,
times on their own clock, a search over the queue, a warning when a newer
specification revision exists, and line tables that do not wrap codes and dates."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.support import requirements as h
from tests.support.world import login


def _set_org(app, org_id, **values) -> None:
    from baton.tenants.models import Organisation

    with h.service_session(app) as session:
        org = session.get(Organisation, org_id)
        for name, value in values.items():
            setattr(org, name, value)


def _signed_in(app, email):
    client = app.test_client()
    login(client, email)
    return client


def _two_lines(world, supplier):
    return h.good_data(
        world,
        supplier,
        lines=[
            h.good_line(),  # 250 × 3.85 = 962.50
            h.good_line(
                item_code="NUT-M8-ZINC-2025", quantity=Decimal("1200"), unit_price=Decimal("0.1234")
            ),
        ],
    )


def test_line_totals_and_the_total_value_show_on_both_pages_in_the_email_and_the_api(app, world):
    supplier = h.make_supplier(app, world)
    rid = h.create_draft(app, world, _two_lines(world, supplier))
    h.submit(app, world, rid)

    client_page = _signed_in(app, world.email("acme_sourcing")).get(f"/client/requirements/{rid}")
    totals = re.findall(r'data-testid="line-total">([^<]*)<', client_page.text)
    assert totals == ["€962.50", "€148.08"]
    assert re.search(r'data-testid="total-value">€1,110.58<', client_page.text)

    review = _signed_in(app, world.email("north_buyer")).get(f"/provider/requirements/{rid}")
    assert re.findall(r'data-testid="line-total">([^<]*)<', review.text) == ["€962.50", "€148.08"]
    assert 'data-testid="total-value">€1,110.58<' in review.text

    mail = h.mails_to(app, world.email("north_buyer"))[-1]
    assert "2 lines, total value €1,110.58." in h.body_text(mail)

    headers = h.api_headers(app, world.orgs["acme"], "sourcing")
    body = app.test_client().get(f"/api/v1/requirements/{rid}", headers=headers).json
    assert [line["total"] for line in body["lines"]] == ["962.5", "148.08"]
    assert body["total_value"] == "1110.58"


def test_amounts_follow_the_organisations_locale(app, world):
    _set_org(app, world.orgs["acme"], locale="de")
    supplier = h.make_supplier(app, world)
    rid = h.create_draft(app, world, _two_lines(world, supplier))
    page = _signed_in(app, world.email("acme_sourcing")).get(f"/client/requirements/{rid}")
    assert re.search(r'data-testid="total-value">1\.110,58\xa0€<', page.text), page.text


def test_a_line_without_a_price_has_no_total_and_the_requirement_no_value(app, world):
    supplier = h.make_supplier(app, world)
    rid = h.create_draft(
        app, world, h.good_data(world, supplier, lines=[h.good_line(unit_price=None)])
    )
    page = _signed_in(app, world.email("acme_sourcing")).get(f"/client/requirements/{rid}")
    assert 'data-testid="line-total">—<' in page.text
    assert 'data-testid="total-value">—<' in page.text
    headers = h.api_headers(app, world.orgs["acme"], "sourcing")
    body = app.test_client().get(f"/api/v1/requirements/{rid}", headers=headers).json
    assert body["lines"][0]["total"] is None and body["total_value"] is None


def test_times_read_on_each_organisations_own_clock_in_one_format(app, world):
    from baton.platform.formatting import when

    _set_org(app, world.orgs["acme"], timezone="Europe/Berlin")
    _set_org(app, world.orgs["north"], timezone="America/New_York")
    rid = h.submitted(app, world)
    due = h.load(app, rid).sla_due_at

    client_page = _signed_in(app, world.email("acme_sourcing")).get(f"/client/requirements/{rid}")
    berlin = when(due, "Europe/Berlin")
    assert re.fullmatch(r"\d{1,2} \w{3} \d{4} \d\d:\d\d CES?T", berlin)
    assert f"due for release by {berlin}" in client_page.text
    assert " UTC" not in client_page.text

    buyer = _signed_in(app, world.email("north_buyer"))
    new_york = when(due, "America/New_York")
    assert f"release due {new_york}" in buyer.get(f"/provider/requirements/{rid}").text
    assert new_york in buyer.get("/provider/queue/").text
    mail = h.mails_to(app, world.email("north_buyer"))[-1]
    assert f"due for release by {new_york}" in h.body_text(mail)


def test_dates_use_the_same_format_as_times(app, world):
    rid = h.submitted(app, world)
    need_by = h.load_lines(app, rid)[0].need_by
    shown = f"{need_by.day} {need_by:%b %Y}"
    page = _signed_in(app, world.email("acme_sourcing")).get(f"/client/requirements/{rid}")
    assert shown in page.text and need_by.isoformat() not in page.text
    queue = _signed_in(app, world.email("north_buyer")).get("/provider/queue/")
    assert f'<td class="text-nowrap">{shown}</td>' in queue.text


def test_line_tables_do_not_wrap_item_codes_and_dates(app, world):
    rid = h.submitted(app, world)
    for who, url in (
        ("acme_sourcing", f"/client/requirements/{rid}"),
        ("north_buyer", f"/provider/requirements/{rid}"),
    ):
        page = _signed_in(app, world.email(who)).get(url).text
        assert '<td class="text-nowrap" data-testid="item-code">BR-100</td>' in page
        need_by = h.load_lines(app, rid)[0].need_by
        assert f'<td class="text-nowrap">{need_by.day} {need_by:%b %Y}</td>' in page


# --- a newer specification revision -----------------------------------------------------


def _add_revision(app, revision_id) -> None:
    import uuid

    from baton.sourcing.documents.models import Document, DocumentRevision

    with h.service_session(app) as session:
        old = session.get(DocumentRevision, revision_id)
        doc = session.get(Document, old.document_id)
        doc.latest_revision_no += 1
        session.add(
            DocumentRevision(
                id=uuid.uuid4(),
                tenant_id=old.tenant_id,
                provider_id=None,
                document_id=doc.id,
                revision_no=doc.latest_revision_no,
                filename="bracket-r2.pdf",
                content_type="application/pdf",
                size=100,
                sha256="1" * 64,
                storage_key=f"{old.storage_key}-2",
            )
        )


def test_both_sides_are_warned_when_a_line_is_bound_to_a_superseded_revision(app, world):
    spec = h.make_spec(app, world)[0]
    rid = h.submitted(app, world, lines=[h.good_line(spec_required=True, spec_revision_ids=[spec])])
    client = _signed_in(app, world.email("acme_sourcing"))
    buyer = _signed_in(app, world.email("north_buyer"))
    assert 'data-testid="outdated-specs"' not in client.get(f"/client/requirements/{rid}").text
    assert 'data-testid="outdated-specs"' not in buyer.get(f"/provider/requirements/{rid}").text

    _add_revision(app, spec)
    number = h.document_number(app, spec)
    expected = f"Line 1 is bound to {number} rev 1, but rev 2 is now the latest revision"
    client_page = client.get(f"/client/requirements/{rid}").text
    assert expected in client_page and "Edit the line to bind rev 2" in client_page
    review = buyer.get(f"/provider/requirements/{rid}").text
    assert expected in review and "Confirm with the client which revision applies" in review


# --- searching the queue ----------------------------------------------------------------


@pytest.fixture
def three(app, world):
    """Three handoffs that differ in reference, title, supplier and item code."""
    blue = h.make_supplier(app, world, name="Bluewater Fasteners")
    red = h.make_supplier(app, world, name="Redstone Metals")
    return {
        "title": h.submitted(app, world, red, title="Hydraulic hoses for press 4"),
        "supplier": h.submitted(app, world, blue, title="Washers"),
        "item": h.submitted(
            app, world, red, title="Gaskets", lines=[h.good_line(item_code="GSK-7781-X")]
        ),
    }


def _references(page_text: str) -> set[str]:
    return set(re.findall(r'data-testid="queue-row" data-reference="([^"]+)"', page_text))


def _ref(app, rid) -> str:
    return h.load(app, rid).client_reference


def test_the_queue_search_finds_by_reference_title_supplier_and_item_code(app, world, three):
    buyer = _signed_in(app, world.email("north_buyer"))
    refs = {key: _ref(app, rid) for key, rid in three.items()}
    assert _references(buyer.get("/provider/queue/?q=hydraulic HOSES").text) == {refs["title"]}
    assert _references(buyer.get("/provider/queue/?q=bluewater").text) == {refs["supplier"]}
    assert _references(buyer.get("/provider/queue/?q=gsk-7781").text) == {refs["item"]}
    assert _references(buyer.get(f"/provider/queue/?q={refs['item'].lower()}").text) == {
        refs["item"]
    }
    page = buyer.get("/provider/queue/?q=bluewater").text
    assert 'value="bluewater"' in page  # the box keeps what was typed


def test_the_queue_search_combines_with_the_filters_and_the_api(app, world, three):
    buyer = _signed_in(app, world.email("north_buyer"))
    refs = {key: _ref(app, rid) for key, rid in three.items()}
    with h.as_provider(app, world) as (session, user_id):
        from baton.procurement.handoff import review

        review.open_review(session, world.orgs["north"], user_id, three["item"])
    redstone = buyer.get("/provider/queue/?q=redstone").text
    assert _references(redstone) == {refs["title"], refs["item"]}
    assert _references(buyer.get("/provider/queue/?q=redstone&status=in_review").text) == {
        refs["item"]
    }

    headers = h.api_headers(app, world.orgs["north"], "buyer")
    api = app.test_client()
    items = api.get("/api/v1/queue?q=gsk-7781", headers=headers).json["items"]
    assert [i["client_reference"] for i in items] == [refs["item"]]
    assert api.get("/api/v1/queue?q=" + "x" * 201, headers=headers).status_code == 422
    # A typed % matches itself, not everything.
    assert api.get("/api/v1/queue?q=%25", headers=headers).json["items"] == []


def test_the_queue_search_pages_through_its_matches_only(app, world, three, monkeypatch):
    from baton.procurement.handoff import queue

    monkeypatch.setattr(
        queue.read_queue,
        "__kwdefaults__",
        {**queue.read_queue.__kwdefaults__, "page_size": 1},
    )
    buyer = _signed_in(app, world.email("north_buyer"))
    first = buyer.get("/provider/queue/?q=redstone").text
    link = re.search(r'href="([^"]+)" data-testid="next-page"', first).group(1)
    assert "q=redstone" in link and "page=2" in link
    second = buyer.get(link.replace("&amp;", "&")).text
    assert 'data-testid="next-page"' not in second
    assert _references(first) | _references(second) == {
        _ref(app, three["title"]),
        _ref(app, three["item"]),
    }


def test_quote_validity_reads_as_a_date_in_the_same_format(app, world):
    rid = h.submitted(app, world, quote_valid_until=h.today() + timedelta(days=90))
    valid = h.today() + timedelta(days=90)
    page = _signed_in(app, world.email("acme_sourcing")).get(f"/client/requirements/{rid}").text
    assert f"valid until {valid.day} {valid:%b %Y}" in page
