"""An engagement's SLA targets: the provider's admin sets them, the client reads
them, a bad field is named and changes nothing, a change is audited once; and
the handoff's due time counts on the engagement's business calendar."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
import time_machine

from baton.platform.audit import AuditEvent
from baton.procurement.handoff import review
from baton.sourcing.requirements.models import Requirement
from baton.tenants.models import Engagement
from tests.support import requirements as h
from tests.support.world import login

GOOD = {
    "handoff_to_release_percent": "95",
    "handoff_to_release_hours": "16",
    "handoff_to_release_credit": "2",
    "acknowledgement_percent": "90",
    "acknowledgement_hours": "48",
    "acknowledgement_credit": "2",
    "otif_percent": "92",
    "otif_credit": "2",
    "client_answer_percent": "90",
    "client_answer_hours": "8",
    "client_answer_credit": "",
    "issue_answer_percent": "90",
    "issue_answer_hours": "8",
    "issue_answer_credit": "2",
    "monthly_fee": "12,000.00".replace(",", ""),
    "fee_currency": "eur",
    "credit_cap_percent": "10",
}


def _changes(app, eid) -> list[AuditEvent]:
    with h.service_session(app) as session:
        return session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity_id == str(eid),
                AuditEvent.action == "engagement.sla_targets_changed",
            )
        ).all()


def _signed_in(app, who: str):
    client = app.test_client()
    login(client, who)
    return client


def test_the_provider_admin_sets_targets_and_an_unchanged_save_records_nothing(app, world):
    eid = world.engagements["acme-north"]
    admin = _signed_in(app, world.email("north_admin"))
    page = admin.get(f"/organisation/engagements/{eid}/sla")
    assert page.status_code == 200 and 'data-testid="save-sla-targets"' in page.text
    assert admin.post(f"/organisation/engagements/{eid}/sla", data=GOOD).status_code == 302
    # The same values written differently ("95.0", CRLF-free spaces) are no change.
    again = GOOD | {"handoff_to_release_percent": " 95.0 ", "fee_currency": "EUR"}
    assert admin.post(f"/organisation/engagements/{eid}/sla", data=again).status_code == 302
    with h.service_session(app) as session:
        row = session.get(Engagement, eid)
        assert row.sla_handoff_to_release_hours == Decimal("16")
        assert (row.monthly_fee, row.fee_currency, row.credit_cap_percent) == (
            Decimal("12000.00"),
            "EUR",
            Decimal("10"),
        )
    events = _changes(app, eid)
    assert len(events) == 1
    assert events[0].changes["handoff_to_release_hours"] == ["48", "16"]
    shown = admin.get(f"/organisation/engagements/{eid}/sla").text
    assert "12,000.00 EUR a month" in shown and "capped at 10 %" in shown
    assert "2 business days" in shown  # 16 business hours on a 09:00-17:00 calendar


def test_a_bad_field_is_named_and_nothing_changes(app, world):
    eid = world.engagements["acme-north"]
    admin = _signed_in(app, world.email("north_admin"))
    bad = GOOD | {
        "handoff_to_release_percent": "101",
        "acknowledgement_hours": "soon",
        "otif_credit": "2.345",
        "fee_currency": "E1",
    }
    response = admin.post(f"/organisation/engagements/{eid}/sla", data=bad)
    assert response.status_code == 422
    assert 'data-testid="error-handoff_to_release_percent"' in response.text
    assert "Give a number from 0 to 100." in response.text
    assert 'data-testid="error-acknowledgement_hours"' in response.text
    assert 'data-testid="error-otif_credit"' in response.text
    assert 'data-testid="error-fee_currency"' in response.text
    assert 'value="soon"' in response.text  # what was typed stays in the form
    with h.service_session(app) as session:
        row = session.get(Engagement, eid)
        assert (row.sla_targets, row.monthly_fee) == ({}, None)
        assert row.sla_handoff_to_release_hours == Decimal("48")
    assert _changes(app, eid) == []


def test_the_client_reads_the_targets_and_cannot_change_them(app, world):
    eid = world.engagements["acme-north"]
    admin = _signed_in(app, world.email("north_admin"))
    assert admin.post(f"/organisation/engagements/{eid}/sla", data=GOOD).status_code == 302
    client = _signed_in(app, world.email("acme_admin"))
    page = client.get(f"/organisation/engagements/{eid}/sla")
    assert page.status_code == 200
    assert 'data-testid="save-sla-targets"' not in page.text and "<fieldset disabled>" in page.text
    assert "95 % of requirements released as purchase orders within 2 business days" in page.text
    changed = GOOD | {"handoff_to_release_percent": "50"}
    assert client.post(f"/organisation/engagements/{eid}/sla", data=changed).status_code in (
        403,
        404,
    )
    buyer = _signed_in(app, world.email("north_buyer"))
    assert buyer.get(f"/organisation/engagements/{eid}/sla").status_code == 200
    assert buyer.post(f"/organisation/engagements/{eid}/sla", data=changed).status_code == 403
    with h.service_session(app) as session:
        assert session.get(Engagement, eid).sla_targets["handoff_to_release"]["percent"] == "95.0"


def test_another_tenants_engagement_is_not_found(app, world):
    eid = world.engagements["acme-north"]
    for who in ("other_admin", "globex_admin"):
        outsider = _signed_in(app, world.email(who))
        assert outsider.get(f"/organisation/engagements/{eid}/sla").status_code == 404
    other = _signed_in(app, world.email("other_admin"))
    assert other.post(f"/organisation/engagements/{eid}/sla", data=GOOD).status_code == 404
    headers = h.api_headers(app, world.orgs["other"], "admin")
    api = app.test_client()
    assert api.get(f"/api/v1/engagements/{eid}/sla-targets", headers=headers).status_code == 404
    assert _changes(app, eid) == []


def _body(**targets) -> dict:
    found = {
        "targets": {
            "handoff_to_release": {"percent": "95", "within_hours": "16", "credit_percent": "2"},
            "acknowledgement": {"percent": "90", "within_hours": "48", "credit_percent": "2"},
            "otif": {"percent": 92, "within_hours": None, "credit_percent": "2"},
            "client_answer": {"percent": "90", "within_hours": "8"},
            "issue_answer": {"percent": "90", "within_hours": "8", "credit_percent": "2"},
        },
        "monthly_fee": "12000.00",
        "fee_currency": "EUR",
        "credit_cap_percent": "10",
    }
    for metric, values in targets.items():
        found["targets"][metric] = found["targets"][metric] | values
    return found


def test_the_api_reads_on_both_sides_and_only_the_provider_admin_writes(app, world):
    eid = world.engagements["acme-north"]
    url = f"/api/v1/engagements/{eid}/sla-targets"
    api = app.test_client()
    provider = h.api_headers(app, world.orgs["north"], "admin")
    response = api.put(url, json=_body(), headers=provider)
    assert response.status_code == 200, response.text
    body = response.json
    assert body["targets"]["handoff_to_release"] == {
        "label": "Requirements released as POs",
        "owner": "provider",
        "percent": "95",
        "within_hours": "16",
        "credit_percent": "2",
    }
    assert body["targets"]["otif"]["within_hours"] is None
    assert (body["monthly_fee"], body["fee_currency"]) == ("12000", "EUR")
    assert api.put(url, json=_body(), headers=provider).status_code == 200
    assert len(_changes(app, eid)) == 1

    client = h.api_headers(app, world.orgs["acme"], "admin")
    read = api.get(url, headers=client)
    assert read.status_code == 200 and read.json["targets"] == body["targets"]
    assert api.put(url, json=_body(), headers=client).status_code == 404
    buyer = h.api_headers(app, world.orgs["north"], "buyer")
    assert api.put(url, json=_body(), headers=buyer).status_code == 403

    bad = api.put(url, json=_body(otif={"percent": "120"}), headers=provider)
    assert bad.status_code == 422
    assert "targets.otif.percent" in bad.json["errors"]
    missing = _body()
    del missing["targets"]["acknowledgement"]
    refused = api.put(url, json=missing, headers=provider)
    assert refused.status_code == 422 and "targets.acknowledgement" in str(refused.json["errors"])
    assert len(_changes(app, eid)) == 1


# --- the handoff's due time on the engagement's calendar ----------------------------------


def _calendar(app, world, **values) -> None:
    with h.service_session(app) as session:
        row = session.get(Engagement, world.engagements["acme-north"])
        row.timezone = "Europe/Berlin"
        row.sla_handoff_to_release_hours = Decimal("16")
        for name, value in values.items():
            setattr(row, name, value)


BERLIN = "Europe/Berlin"


def _berlin(text: str) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(BERLIN)).astimezone(UTC)


def _due(app, rid) -> datetime:
    return h.load(app, rid).sla_due_at.replace(tzinfo=UTC).astimezone(UTC)


def test_a_friday_afternoon_handoff_is_due_on_tuesday_afternoon(app, world):
    _calendar(app, world)
    supplier = h.make_supplier(app, world)
    with time_machine.travel(_berlin("2030-01-11T15:00"), tick=False):  # a Friday
        rid = h.submitted(app, world, supplier)
    # Two business hours on Friday, eight on Monday, six on Tuesday.
    assert _due(app, rid) == _berlin("2030-01-15T15:00")


def test_a_public_holiday_does_not_count(app, world):
    _calendar(app, world, holiday_country="DE")
    supplier = h.make_supplier(app, world)
    # Wednesday 1 May 2030 is Labour Day in Germany.
    with time_machine.travel(_berlin("2030-04-30T13:00"), tick=False):
        rid = h.submitted(app, world, supplier)
    # Four hours on Tuesday, none on the holiday, eight on Thursday, four on Friday.
    assert _due(app, rid) == _berlin("2030-05-03T13:00")


def test_a_resubmission_gets_the_business_hours_that_were_left(app, world):
    _calendar(app, world)
    supplier = h.make_supplier(app, world)
    with time_machine.travel(_berlin("2030-01-07T09:00"), tick=False):  # Monday
        rid = h.submitted(app, world, supplier)
    assert _due(app, rid) == _berlin("2030-01-08T17:00")
    # 4 h used, 12 left
    with (
        time_machine.travel(_berlin("2030-01-07T13:00"), tick=False),
        h.as_provider(app, world) as (session, uid),
    ):
        review.return_requirement(
            session, world.orgs["north"], uid, rid, [{"code": "other", "comment": "Call me"}]
        )
    # The client answers on Friday afternoon: the 12 hours left start again then.
    with time_machine.travel(_berlin("2030-01-11T16:00"), tick=False):
        h.submit(app, world, rid)
    # One hour on Friday, eight on Monday, three on Tuesday.
    assert _due(app, rid) == _berlin("2030-01-15T12:00")
    with h.service_session(app) as session:
        assert session.get(Requirement, rid).returned_at is None
