"""The attackers: admins of four organisations that must not reach the victim's rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from baton.platform.db import db
from baton.platform.tenancy import SERVICE_CONTEXT
from tests.support.isolation.callers import attacker_caller
from tests.support.isolation.links import LINK_PURPOSES
from tests.support.isolation.routes import kind_of, methods_of, path_for, routes
from tests.support.isolation.victim import (
    REFERENCE_PARAMETERS,
    VICTIM,
    Victim,
    as_system,
    build_victim,
)
from tests.support.world import PASSWORD, World

# globex: another client; other: a provider never engaged with acme; former: a
# provider whose engagement with acme has ended; rival: a provider acme engages
# too, which must not see what acme hands to north. The last two are made
# here, not in the World.
ATTACKERS = ("globex", "other", "former", "rival")
# attacker -> (client, provider) of the rows it owns itself, mixed with one
# victim id in routes that take several; the rival's are acme rows handed to it.
OWN_ROWS = {"globex": ("globex", "north"), "other": ("globex", "other"), "rival": ("acme", "rival")}
FORMER, RIVAL = "former", "rival"


@dataclass
class Attacker:
    key: str
    email: str
    org_id: uuid.UUID
    user_id: uuid.UUID
    api_token: str
    # purpose -> a genuine signed link the attacker got for their own organisation
    links: dict[str, str] = field(default_factory=dict)
    # The attacker's own rows (OWN_ROWS), mixed with one victim id in routes
    # that take several: /documents/<own>/revisions/<victim's>.
    own: Victim | None = None
    # Victim text this attacker may see (a former provider knows its old client's name).
    allowed: set[str] = field(default_factory=set)
    # A former provider: the victim's rows it worked on while engaged, and the
    # routes that let it open them then (they must all be 404 now).
    past: Victim | None = None
    reached_while_engaged: list[str] = field(default_factory=list)
    # Parameters of rows this attacker may read (an engaged rival: client
    # reference data); their markers are allowed and their GETs need not 404.
    may_read: frozenset[str] = frozenset()


def _add_engaged_provider(session: Session, world: World, key: str, code: str) -> None:
    """Another provider acme engages, with an admin; ``former`` ends it later."""
    from baton.tenants import services

    org = services.create_organisation(
        session, name=f"{key.capitalize()} {world.suffix}", kind="provider", code=code
    )
    email = f"{key}_admin.{world.suffix}@example.com"
    user = services.create_user(session, email=email, name=f"{key} admin", password=PASSWORD)
    world.orgs[key] = org.id
    world.users[f"{key}_admin"] = email
    world.memberships[f"{key}_admin"] = services.add_member(session, org, user, "admin").id
    acme = services.get_organisation(session, world.orgs[VICTIM])
    engagement = services.create_engagement(session, client=acme, provider=org)
    world.engagements[f"{VICTIM}-{key}"] = engagement.id


def _end_former_engagement(app: Flask, world: World, former: Attacker) -> None:
    """Rows handed to the former provider, what it could open then; then the end."""
    from baton.tenants import services
    from baton.tenants.models import Engagement

    former.past = build_victim(app, world, VICTIM, FORMER, variant=FORMER)
    caller = attacker_caller(app, former)
    for rule in routes(app):
        if kind_of(rule) == "id" and "GET" in methods_of(rule):
            status = caller.open("GET", path_for(rule, former.past.ids)).status_code
            if status < 400:
                former.reached_while_engaged.append(rule.rule)
    with app.app_context(), as_system():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            engagement = session.get(Engagement, world.engagements[f"{VICTIM}-{FORMER}"])
            services.set_engagement_status(session, engagement, "ended")
            session.commit()
        finally:
            session.close()


def build_attackers(app: Flask, world: World) -> list[Attacker]:
    from baton.platform.signing import sign
    from baton.tenants import services
    from baton.tenants.models import User

    attackers = []
    with app.app_context(), as_system():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            for key, code in ((FORMER, "FRMR"), (RIVAL, "RIVL")):
                if key not in world.orgs:
                    _add_engaged_provider(session, world, key, code)
            for key in ATTACKERS:
                org = services.get_organisation(session, world.orgs[key])
                email = world.email(f"{key}_admin")
                user = session.scalar(sa.select(User).where(User.email == email))
                text, _row = services.create_api_token(
                    session, org, name="attacker tool", role="admin", created_by=None
                )
                attacker = Attacker(key, email, org.id, user.id, text)
                if key in (FORMER, RIVAL):
                    # It knows its (former) client and their engagement.
                    acme = services.get_organisation(session, world.orgs[VICTIM])
                    engagement = world.engagements[f"{VICTIM}-{key}"]
                    attacker.allowed = {acme.name, str(acme.id), str(engagement)}
                if key == RIVAL:
                    attacker.may_read = REFERENCE_PARAMETERS
                for purpose, spec in LINK_PURPOSES.items():
                    attacker.links[purpose] = sign(purpose, spec.own_payload(attacker, session))
                attackers.append(attacker)
            session.commit()
        finally:
            session.close()
    for attacker in attackers:
        if attacker.key in OWN_ROWS:
            client, provider = OWN_ROWS[attacker.key]
            attacker.own = build_victim(app, world, client, provider, variant=attacker.key)
        if attacker.key == FORMER:
            _end_former_engagement(app, world, attacker)
    return attackers
