"""Fresh organisations for each test: two clients, two providers, one person per role.

Names carry a random suffix so tests never depend on each other's rows and
the database needs no cleaning between them. The suffix comes from uuid4
(os.urandom), not from ``random``, which pytest-randomly reseeds with the same
value before every test.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from flask import Flask

from baton.platform.db import db
from baton.platform.request_context import Actor, acting_as
from baton.platform.tenancy import SERVICE_CONTEXT

PASSWORD = "correct-horse-battery"


@dataclass
class World:
    suffix: str
    orgs: dict[str, uuid.UUID] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)  # key -> email
    memberships: dict[str, uuid.UUID] = field(default_factory=dict)
    engagements: dict[str, uuid.UUID] = field(default_factory=dict)

    def email(self, key: str) -> str:
        return self.users[key]


# key, kind, role
PEOPLE = [
    ("acme_admin", "acme", "admin"),
    ("acme_sourcing", "acme", "sourcing"),
    ("acme_approver", "acme", "approver"),
    ("acme_viewer", "acme", "viewer"),
    ("globex_admin", "globex", "admin"),
    ("globex_sourcing", "globex", "sourcing"),
    ("north_admin", "north", "admin"),
    ("north_buyer", "north", "buyer"),
    ("other_admin", "other", "admin"),
    ("other_buyer", "other", "buyer"),
]
ORGS = [
    ("acme", "client", "ACME"),
    ("globex", "client", "GLBX"),
    ("north", "provider", "NWPS"),
    ("other", "provider", "OTHR"),
]


def make_world(app: Flask) -> World:
    """acme and globex are clients; north is engaged by both; other only by globex."""
    from baton.tenants import services

    world = World(suffix=uuid.uuid4().hex[:6])
    with app.app_context(), acting_as(Actor("system", None, "test setup")):
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            orgs = {}
            for key, kind, code in ORGS:
                org = services.create_organisation(
                    session, name=f"{key.capitalize()} {world.suffix}", kind=kind, code=code
                )
                orgs[key] = org
                world.orgs[key] = org.id
            for key, org_key, role in PEOPLE:
                email = f"{key}.{world.suffix}@example.com"
                user = services.create_user(
                    session, email=email, name=key.replace("_", " ").title(), password=PASSWORD
                )
                world.users[key] = email
                world.memberships[key] = services.add_member(session, orgs[org_key], user, role).id
            for client, provider in (("acme", "north"), ("globex", "north"), ("globex", "other")):
                world.engagements[f"{client}-{provider}"] = services.create_engagement(
                    session, client=orgs[client], provider=orgs[provider]
                ).id
            session.commit()
        finally:
            session.close()
    return world


def login(client, email: str, password: str = PASSWORD):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.text[:500]
    return response
