"""A local HTTP server standing in for api.stripe.com (see server.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import requests as http

from tests.support.services import free_port, wait_for_port

API_KEY = "sk_test_baton_standin"
WEBHOOK_SECRET = "whsec_baton_standin"
# The thin-payload event destination's own secret (Stripe gives each destination one).
THIN_WEBHOOK_SECRET = "whsec_baton_standin_thin"


@dataclass
class StripeStandIn:
    """The running stand-in and its control API, for tests."""

    url: str

    @property
    def meter_events_url(self) -> str:
        """The meter-events host's stand-in: the same process answers both."""
        return self.url

    def state(self) -> dict:
        return http.get(f"{self.url}/_standin/state", timeout=10).json()

    def objects(self, kind: str) -> dict[str, dict]:
        return self.state().get(kind, {})

    def received(self, path_prefix: str = "") -> list[dict]:
        seen = http.get(f"{self.url}/_standin/requests", timeout=10).json()
        return [r for r in seen if r["path"].startswith(path_prefix)]

    def fail(
        self, path_prefix: str, status: int, count: int = 1, retry_after: int | None = None
    ) -> None:
        http.post(
            f"{self.url}/_standin/faults",
            json={
                "path_prefix": path_prefix,
                "status": status,
                "count": count,
                "retry_after": retry_after,
            },
            timeout=10,
        ).raise_for_status()

    def stall(self, path_prefix: str, after: int) -> None:
        """Hold every request to ``path_prefix`` after the next ``after`` until ``release``."""
        http.post(
            f"{self.url}/_standin/stall",
            json={"path_prefix": path_prefix, "after": after},
            timeout=10,
        ).raise_for_status()

    def held(self) -> int:
        return http.get(f"{self.url}/_standin/stall", timeout=10).json()["held"]

    def release(self) -> None:
        http.post(f"{self.url}/_standin/release", timeout=10).raise_for_status()

    def expire_meter_sessions(self, token: str | None = None) -> None:
        """The meter event session of ``token``, or every one, expires now
        (Stripe's last 15 minutes)."""
        http.post(
            f"{self.url}/_standin/meter_event_sessions/expire",
            json={"token": token} if token else {},
            timeout=10,
        ).raise_for_status()

    def invoice(self, customer: str, **fields) -> dict:
        """An invoice for ``customer``, as Stripe would make from a subscription."""
        response = http.post(
            f"{self.url}/_standin/invoices", json={"customer": customer, **fields}, timeout=10
        )
        response.raise_for_status()
        return response.json()

    def meter_error_reports(
        self,
        customer: str | None = None,
        *,
        secret: str = THIN_WEBHOOK_SECRET,
        samples: int | None = None,
        timestamp: int | None = None,
    ) -> list[tuple[str, bytes, dict]]:
        """Stripe's ``v1.billing.meter.error_report_triggered`` thin events about
        the stream events dropped since the last report (only ``customer``'s, if
        given), one per meter: ``(event id, body, headers)``, signed with ``secret``."""
        answer = http.post(
            f"{self.url}/_standin/meter_error_reports",
            json={
                "secret": secret,
                "customer": customer,
                "samples": samples,
                "timestamp": timestamp,
            },
            timeout=10,
        )
        answer.raise_for_status()
        return [
            (
                d["id"],
                d["body"].encode(),
                {"Stripe-Signature": d["signature"], "Content-Type": "application/json"},
            )
            for d in answer.json()["deliveries"]
        ]

    def complete_checkout(self, session_id: str) -> dict:
        """Pay the checkout as the customer; the ``checkout.session.completed`` event."""
        answer = http.post(f"{self.url}/_standin/checkout/{session_id}/complete", timeout=10)
        answer.raise_for_status()
        return answer.json()


def event(kind: str, obj: dict, created: int | None = None) -> dict:
    """A Stripe event as a webhook delivers it."""
    return {
        "id": f"evt_{secrets.token_hex(12)}",
        "object": "event",
        "type": kind,
        "created": int(time.time()) if created is None else created,
        "api_version": "2025-03-31.basil",
        "data": {"object": obj},
        "livemode": False,
    }


def sign(body: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe would send for ``body``:
    ``t=<unix time>,v1=<HMAC-SHA256 of "<t>.<body>" with the endpoint's secret>``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def signed(evt: dict, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    """The body and headers of a webhook delivery of ``evt``."""
    body = json.dumps(evt).encode()
    headers = {
        "Stripe-Signature": sign(body, secret, timestamp),
        "Content-Type": "application/json",
    }
    return body, headers


@contextmanager
def stripe_standin() -> Iterator[StripeStandIn]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.stripe_standin.server", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield StripeStandIn(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=10)
