"""Stripe's v2 meter event stream: a session token, and batches of up to 100 events.

``v2.billing.meter_event_session.create()`` (secret key, API host) gives an
``authentication_token`` valid about 15 minutes; batches then go to
``v2.billing.meter_event_stream`` on the meter-events host with that token
as the client's key. A ``MeterStream`` keeps one session for the process and
its threads, makes a new one a minute before the old one expires, and again
when Stripe answers 401 ``billing_meter_event_session_expired`` (a clock
behind Stripe's, a session revoked), then posts the batch once more.

Each POST's idempotency key is derived from the identifiers it carries
(``meter-batch:<sha256>``): the same rows posted again after a worker died
get Stripe's first answer back, and rows regrouped into another batch are
still deduplicated by Stripe on each event's ``identifier``.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import stripe

from baton.platform.stripe_client import meter_stream_client

# Stripe takes at most this many events per stream request.
CHUNK = 100
# A token this close to its end is replaced before use, so no batch is sent
# with a token that expires on the way.
REFRESH_MARGIN = timedelta(minutes=1)
EXPIRED = "billing_meter_event_session_expired"


def batch_key(events: list[dict]) -> str:
    digest = hashlib.sha256("\n".join(e["identifier"] for e in events).encode()).hexdigest()
    return f"meter-batch:{digest}"


def rfc3339(moment: datetime) -> str:
    """``2026-11-30T23:59:59.250Z``: the v2 API's timestamps."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def is_expired_session(exc: stripe.StripeError) -> bool:
    if isinstance(exc, stripe.TemporarySessionExpiredError):
        return True
    # A 401 whose body names the code, whatever class the library made of it.
    body = exc.json_body if isinstance(exc.json_body, dict) else {}
    return exc.http_status == 401 and (body.get("error") or {}).get("code") == EXPIRED


@dataclass(frozen=True)
class _Session:
    token: str
    expires_at: datetime
    client: stripe.StripeClient


class MeterStream:
    """Posts event batches on the stream; safe to share between threads."""

    def __init__(self, client: stripe.StripeClient, base: str) -> None:
        self._client = client
        self._base = base
        self._lock = threading.Lock()
        self._session: _Session | None = None

    def _current(self, stale: _Session | None = None) -> _Session:
        # Under the lock, so eight threads finding the token old make one session.
        with self._lock:
            session = self._session
            due = session is None or session.expires_at - REFRESH_MARGIN <= datetime.now(UTC)
            if due or (stale is not None and session is stale):
                made = self._client.v2.billing.meter_event_session.create()
                session = self._session = _Session(
                    made.authentication_token,
                    _parse(made.expires_at),
                    meter_stream_client(made.authentication_token, self._base),
                )
            return session

    def send(self, events: list[dict]) -> None:
        """Post one batch (at most ``CHUNK`` events); raises what stripe-python
        raises once its own retries are spent, except an expired session."""
        if not 0 < len(events) <= CHUNK:
            raise ValueError(f"a stream batch holds 1 to {CHUNK} events, not {len(events)}")
        params = {"events": events}
        options: stripe.RequestOptions = {"idempotency_key": batch_key(events)}
        session = self._current()
        try:
            session.client.v2.billing.meter_event_stream.create(params=params, options=options)
        except stripe.StripeError as exc:
            if not is_expired_session(exc):
                raise
            session = self._current(stale=session)
            session.client.v2.billing.meter_event_stream.create(params=params, options=options)


_streams: dict[tuple[int, str], MeterStream] = {}
_streams_lock = threading.Lock()


def forget() -> None:
    """Start again with a new session next time (a key rotated; tests)."""
    with _streams_lock:
        _streams.clear()


def meter_stream(client: stripe.StripeClient, base: str) -> MeterStream:
    """The process's stream for ``client``: its session outlives one push run
    (the job runs every minute; a token lasts fifteen)."""
    with _streams_lock:
        found = _streams.get((id(client), base))
        if found is None:
            found = _streams[(id(client), base)] = MeterStream(client, base)
        return found
