"""The stand-in's v2 meter event stream answers as Stripe's does, so the push is
tested against the API it will meet: sessions, tokens, the shape checked at
once, the events afterwards, duplicates dropped without a word."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests as http
import stripe

from baton.platform.stripe_client import meter_events_base, meter_stream_client, stripe_client
from baton.tenants.billing.meter_stream import rfc3339
from baton.tenants.billing.stripe_meters import meter_ids
from tests.support import billing_push as bp
from tests.support.stripe_billing import customer_for
from tests.support.world import make_world


@pytest.fixture
def stream(stripe_app):
    """A stream client on a fresh session token, and a customer with meters."""
    world = make_world(stripe_app)
    customer = customer_for(stripe_app, world.orgs["north"])
    with stripe_app.app_context():
        client = stripe_client()
        meter_ids(client)
        session = client.v2.billing.meter_event_session.create()
        stream_client = meter_stream_client(session.authentication_token, meter_events_base())
        yield stream_client, customer, session.authentication_token


def _event(customer: str, value: str = "1", **fields) -> dict:
    return {
        "event_name": "baton_po_released",
        "identifier": f"standin:{uuid.uuid4()}",
        "timestamp": rfc3339(datetime.now(UTC)),
        "payload": {"stripe_customer_id": customer, "value": value},
        **fields,
    }


def _send(client: stripe.StripeClient, events: list[dict]) -> None:
    client.v2.billing.meter_event_stream.create(params={"events": events})


def test_a_session_is_stripes_object_good_for_fifteen_minutes(stripe_app):
    with stripe_app.app_context():
        session = stripe_client().v2.billing.meter_event_session.create()
    assert session.object == "v2.billing.meter_event_session"
    assert session.authentication_token and session.id and session.livemode is False
    created = datetime.fromisoformat(session.created.replace("Z", "+00:00"))
    expires = datetime.fromisoformat(session.expires_at.replace("Z", "+00:00"))
    assert expires - created == timedelta(minutes=15)


def test_events_are_counted_once_by_identifier(stripe_server, stream):
    client, customer, _ = stream
    first, second = _event(customer, "2"), _event(customer, "3")
    _send(client, [first, second])
    # The same identifier again, in another request: accepted, not counted again.
    _send(client, [{**first, "payload": {"stripe_customer_id": customer, "value": "50"}}])
    held = bp.standin_events(stripe_server, customer)
    assert held[first["identifier"]]["payload"]["value"] == "2"
    assert held[second["identifier"]]["payload"]["value"] == "3"
    assert bp.standin_totals(stripe_server, customer) == {"po_released": 5}
    # The log holds the JSON bodies as sent, with the library's headers honoured.
    last = bp.stream_posts(stripe_server)[-1]
    assert last["status"] == 202 and last["idempotency_key"]
    assert last["params"]["events"][0]["identifier"] == first["identifier"]


@pytest.mark.parametrize(
    ("events", "param"),
    [
        ([], "events"),
        ([{"identifier": "x", "payload": {"value": "1"}}], "events[0].event_name"),
        ([{"event_name": "baton_po_released", "payload": {"value": 1}}], "events[0].payload"),
        ("many", "events"),
        ("bad-time", "events[1].timestamp"),
    ],
)
def test_a_malformed_request_is_refused_naming_the_field_and_counts_nothing(
    stripe_server, stream, events, param
):
    client, customer, _ = stream
    if events == "many":
        events = [_event(customer) for _ in range(101)]
    elif events == "bad-time":
        events = [_event(customer), _event(customer, timestamp="yesterday")]
    before = len(stripe_server.objects("meter_events"))
    with pytest.raises(stripe.InvalidRequestError) as refused:
        _send(client, events)
    assert refused.value.http_status == 400
    assert refused.value.param == param
    assert len(stripe_server.objects("meter_events")) == before


def test_events_stripe_cannot_use_are_accepted_then_dropped_with_a_reason(stripe_server, stream):
    client, customer, _ = stream
    old = rfc3339(datetime.now(UTC) - timedelta(days=40))
    events = [
        _event(customer, event_name="baton_nothing"),
        _event("cus_nobody"),
        _event(customer, timestamp=old),
        _event(customer, "-1"),
    ]
    _send(client, events)
    errors = stripe_server.objects("meter_event_errors")
    assert [errors[e["identifier"]]["code"] for e in events] == [
        "no_meter",
        "meter_event_customer_not_found",
        "timestamp_too_far_in_past",
        "meter_event_invalid_value",
    ]
    assert not set(bp.standin_events(stripe_server, customer)) & {e["identifier"] for e in events}


def test_an_expired_token_gets_stripes_401_and_an_unknown_one_is_refused(stripe_server, stream):
    client, customer, token = stream
    stripe_server.expire_meter_sessions(token)
    with pytest.raises(stripe.TemporarySessionExpiredError) as expired:
        _send(client, [_event(customer)])
    assert expired.value.http_status == 401
    assert expired.value.code == "billing_meter_event_session_expired"
    with pytest.raises(stripe.AuthenticationError):
        _send(meter_stream_client("mets_forged", stripe_server.url), [_event(customer)])


def test_the_stream_takes_json_with_a_stripe_version_as_stripe_python_sends(stripe_server, stream):
    _, customer, token = stream
    url = f"{stripe_server.url}{bp.STREAM}"
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
    versioned = {**headers, "Stripe-Version": "2026-10-28.endive"}
    form = http.post(url, data={"events": "x"}, headers=versioned, timeout=10)
    assert form.status_code == 400 and form.json()["error"]["code"] == "invalid_body"
    unversioned = http.post(url, json={"events": [_event(customer)]}, headers=headers, timeout=10)
    assert unversioned.status_code == 400
    assert unversioned.json()["error"]["param"] == "Stripe-Version"
    event = _event(customer)
    accepted = http.post(url, json={"events": [event]}, headers=versioned, timeout=10)
    assert (accepted.status_code, accepted.json()) == (202, {})
    assert event["identifier"] in bp.standin_events(stripe_server, customer)
