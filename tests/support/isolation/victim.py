"""The victim: a client tenant's rows, made by the registered resolvers.

``@parameter`` registers a resolver for URL parameters (and form fields) of
some names; the resolvers live in ``tests/support/isolation/resolvers/``, one
module per area, and the package imports them all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from baton.platform.db import db
from baton.platform.request_context import Actor, acting_as
from baton.platform.tenancy import SERVICE_CONTEXT
from tests.support.world import World

VICTIM = "acme"
VICTIM_PROVIDER = "north"
# Client reference data every engaged provider may read (DESIGN.md section 2):
# a route taking only these answers an engaged rival's GET as it likes.
REFERENCE_PARAMETERS = frozenset(
    {
        "supplier_id",
        "document_id",
        "revision_id",
        "org_id",
        "organisation_id",
        "client_id",
        "tenant_id",
    }
)
# Ids made for every victim, routes or not: forms may carry them.
ALWAYS = frozenset({"org_id", "membership_id", "user_id", "engagement_id", "invitation_id"})

Resolver = Callable[["Victim"], Any]
PARAMETERS: dict[str, Resolver] = {}


def parameter(*names: str) -> Callable[[Resolver], Resolver]:
    """Register a resolver for URL parameters (and form fields) of these names."""

    def register(fn: Resolver) -> Resolver:
        for name in names:
            if name in PARAMETERS:
                raise ValueError(f"URL parameter {name!r} is registered twice")
            PARAMETERS[name] = fn
        return fn

    return register


@dataclass
class Victim:
    """A client tenant's rows, and the work its provider does for it. Built
    for acme (the victim) and for globex (the attacker's own rows, to mix
    with the victim's in routes that take two ids)."""

    world: World
    key: str  # the client, as in tests.support.world ("acme")
    provider_key: str  # its engaged provider ("north")
    variant: str = ""  # tells apart a second set of rows of the same pair
    session: Session | None = None
    user_ids: set[uuid.UUID] = field(default_factory=set)
    # Text that must never reach an attacker (names, emails, token prefixes).
    text_markers: set[str] = field(default_factory=set)
    # Ids of victim rows; must not appear in pages that were not given them.
    id_markers: set[str] = field(default_factory=set)
    # API tokens of the victim side's own people, for the positive control.
    own_tokens: dict[str, str] = field(default_factory=dict)
    _made: dict[Resolver, str] = field(default_factory=dict)
    _marks: dict[Resolver, set[str]] = field(default_factory=dict)

    @property
    def tag(self) -> str:
        """Unique to this tenant in this test: put it in every name a resolver
        makes, so the markers of acme and of the attacker's own rows differ."""
        return "-".join(p for p in (self.key, self.variant, self.world.suffix) if p)

    @property
    def org_id(self) -> uuid.UUID:
        return self.world.orgs[self.key]

    @property
    def provider_id(self) -> uuid.UUID:
        return self.world.orgs[self.provider_key]

    def id(self, name: str) -> str:
        resolver = PARAMETERS[name]
        if resolver not in self._made:
            before = set(self.text_markers)
            value = str(resolver(self))
            self._made[resolver] = value
            self.id_markers.add(value)
            self._marks[resolver] = (self.text_markers - before) | {value}
        return self._made[resolver]

    def markers_of(self, names: Iterable[str]) -> set[str]:
        """The markers the resolvers of these parameters added."""
        found: set[str] = set()
        for name in names:
            found |= self._marks.get(PARAMETERS.get(name), set())
        return found

    @property
    def ids(self) -> dict[str, str]:
        """Every parameter name whose row has been made."""
        return {name: self._made[fn] for name, fn in PARAMETERS.items() if fn in self._made}

    def mark(self, *texts: str) -> None:
        self.text_markers.update(t for t in texts if t)


def as_system():
    """The actor the harness builds its rows as."""
    return acting_as(Actor("system", None, "isolation test setup"))


def build_victim(
    app: Flask,
    world: World,
    key: str = VICTIM,
    provider_key: str = VICTIM_PROVIDER,
    variant: str = "",
) -> Victim:
    """Rows for every registered parameter, plus the own side's API tokens."""
    from baton.tenants import services
    from baton.tenants.models import Membership, User

    victim = Victim(world, key, provider_key, variant)
    with app.app_context(), as_system():
        session = db.new_service_session(SERVICE_CONTEXT)
        victim.session = session
        try:
            client = services.get_organisation(session, victim.org_id)
            provider = services.get_organisation(session, victim.provider_id)
            victim.mark(client.name)
            for user in session.scalars(
                sa.select(User).join(Membership).where(Membership.organisation_id == client.id)
            ):
                victim.user_ids.add(user.id)
                victim.mark(user.email)
            for person, org, role in (
                (f"{key}_admin", client, "admin"),
                (f"{key}_sourcing", client, "sourcing"),
                (f"{provider_key}_admin", provider, "admin"),
                (f"{provider_key}_buyer", provider, "buyer"),
            ):
                text, row = services.create_api_token(
                    session, org, name=f"{person} own", role=role, created_by=None
                )
                victim.own_tokens[person] = text
                if org is client:
                    victim.mark(row.prefix)
            victim.id_markers.add(str(client.id))
            # Only what the app's routes take (plus the directory's own ids),
            # so a resolver may import a feature that not every tree has yet.
            wanted = {a for rule in app.url_map.iter_rules() for a in rule.arguments}
            for name in sorted((wanted | ALWAYS) & set(PARAMETERS)):
                victim.id(name)
            session.commit()
        finally:
            victim.session = None
            session.close()
    return victim
