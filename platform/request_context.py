"""Who is acting and under which request id, for logs and audit events.

Context variables rather than Flask globals so jobs and CLI commands, which
have no request, set them the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    kind: str  # user | api_token | supplier_link | system
    id: str | None
    label: str


SYSTEM = Actor("system", None, "system")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
actor_var: ContextVar[Actor] = ContextVar("actor", default=SYSTEM)


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def acting_as(actor: Actor, request_id: str | None = None) -> Iterator[None]:
    token_actor = actor_var.set(actor)
    token_request = request_id_var.set(request_id or request_id_var.get() or new_request_id())
    try:
        yield
    finally:
        actor_var.reset(token_actor)
        request_id_var.reset(token_request)
