"""A real SMTP server (aiosmtpd) that records what it accepts.

A message counts as received once the server has the whole of it (the final
"." line): from then on a real server (Postfix, say) delivers it whatever
happens to the client's connection. The server can be told to stop in the middle of a
conversation (at RCPT or after DATA) until released, so a test can kill the
client there.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import default

from aiosmtpd.controller import Controller

from tests.support.services import free_port


@dataclass
class Received:
    message_id: str
    to: list[str]
    subject: str
    raw: bytes


@dataclass
class Recorder:
    messages: list[Received] = field(default_factory=list)
    block_at: str | None = None  # "rcpt" or "data"
    # A reply to give after the final "." instead of accepting ("451 4.3.0 busy").
    refuse_with: str | None = None
    entered: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def _maybe_block(self, where: str) -> None:
        if self.block_at == where and not self.release.is_set():
            self.entered.set()
            await asyncio.to_thread(self.release.wait, 30)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await self._maybe_block("rcpt")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        # Like Postfix, the message is queued as soon as the final "." arrives and
        # the reply follows; a client that vanishes before the reply cannot undo it.
        if self.refuse_with:
            return self.refuse_with
        msg = message_from_bytes(envelope.content, policy=default)
        with self.lock:
            self.messages.append(
                Received(
                    message_id=str(msg["Message-ID"]),
                    to=list(envelope.rcpt_tos),
                    subject=str(msg["Subject"]),
                    raw=envelope.content,
                )
            )
        await self._maybe_block("data")
        return "250 Message accepted for delivery"

    def count(self, message_id: str | None = None, to: str | None = None) -> int:
        with self.lock:
            return sum(
                1
                for m in self.messages
                if (message_id is None or m.message_id == message_id) and (to is None or to in m.to)
            )

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if address in m.to]


class SMTPServer:
    """Start, stop and start again on the same port."""

    def __init__(self, port: int | None = None, **controller_kwargs) -> None:
        self.port = port or free_port()
        self.recorder = Recorder()
        self.kwargs = controller_kwargs
        self.controller: Controller | None = None

    def start(self) -> SMTPServer:
        self.controller = Controller(
            self.recorder, hostname="127.0.0.1", port=self.port, **self.kwargs
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.recorder.release.set()
            self.controller.stop()
            self.controller = None


def send_through(app, monkeypatch, port: int, **values) -> None:
    """Point the app's mail settings at an SMTP server on 127.0.0.1."""
    settings = app.config["BATON_SETTINGS"]
    for name, value in {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_starttls": False,
        "smtp_username": None,
        "smtp_password": None,
        **values,
    }.items():
        monkeypatch.setattr(settings, name, value)
