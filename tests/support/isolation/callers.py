"""Who sends the requests: a signed-in browser plus a bearer token, or nobody."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask
from flask.testing import FlaskClient

from tests.support.world import PASSWORD

if TYPE_CHECKING:
    from tests.support.isolation.attackers import Attacker
    from tests.support.isolation.bodies import Body
    from tests.support.isolation.victim import Victim


@dataclass
class Caller:
    """A browser signed in as ``email`` and, for /api/, a bearer token of the
    same organisation; or nobody at all when both are None."""

    label: str
    client: FlaskClient
    email: str | None = None
    org_id: uuid.UUID | None = None
    api_token: str | None = None

    def sign_in(self) -> bool:
        """False when the account cannot sign in (say a probe deactivated it)."""
        if not self.email:
            return False
        response = self.client.post("/login", data={"email": self.email, "password": PASSWORD})
        return response.status_code == 302

    def open(self, method: str, path: str, body: Body | None = None):
        kwargs: dict[str, Any] = {}
        if path.startswith("/api/") and self.api_token:
            kwargs["headers"] = {"Authorization": f"Bearer {self.api_token}"}
        if body is not None:
            kwargs["json" if body.json else "data"] = body.fields
        return self.client.open(path, method=method, **kwargs)

    def session_problem(self) -> str | None:
        """Signs in again after a logout; reports a request that moved the
        browser into another organisation."""
        if not self.email:
            return None
        with self.client.session_transaction() as s:
            signed_in, org = s.get("_user_id"), s.get("org_id")
        if not signed_in:
            self.sign_in()
            return None
        if org != str(self.org_id):
            self.sign_in()
            return f"switched {self.label}'s browser into organisation {org}"
        return None


def attacker_caller(app: Flask, attacker: Attacker) -> Caller:
    caller = Caller(
        f"{attacker.key} admin",
        app.test_client(),
        attacker.email,
        attacker.org_id,
        attacker.api_token,
    )
    assert caller.sign_in(), f"{attacker.email} cannot sign in"
    return caller


def anonymous_caller(app: Flask) -> Caller:
    return Caller("anonymous", app.test_client())


def victim_callers(app: Flask, victim: Victim) -> list[Caller]:
    """The victim's own side: acme's people and north's, admins first."""
    world = victim.world
    callers = []
    c, p = victim.key, victim.provider_key
    for key in (f"{c}_admin", f"{p}_admin", f"{c}_sourcing", f"{p}_buyer"):
        org = world.orgs[key.split("_")[0]]
        caller = Caller(key, app.test_client(), world.email(key), org, victim.own_tokens[key])
        if caller.sign_in():
            callers.append(caller)
    return callers
