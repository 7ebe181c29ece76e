"""The route-enumerating tenant-isolation harness (DESIGN.md section 2).

``tests/foundation/test_isolation.py`` walks every rule of ``app.url_map`` and
calls each method (GET, POST, PUT, PATCH, DELETE) as the admin of four
organisations, with ids of rows that exist and belong to the victim tenant
(acme, and north's work for acme):

* globex, another client;
* other, a provider never engaged with acme;
* former, a provider acme engaged and handed work to, then ended with;
* rival, a provider acme engages too, which may read acme's reference data
  (suppliers, documents) but nothing acme hands to north.

Pages get a signed-in browser, ``/api/`` routes a bearer token of the
attacker's organisation. Foreign ids must answer 404, never 403; no response
may show the victim's data (names, emails, token prefixes...) and no request
may change it; no attacker row may end up holding a victim id. Routes taking
several ids are also called with the attacker's own ids and one victim id,
pages without ids also with victim ids in the query string, and bodies carry
victim ids in fields named after them. A positive control checks the
victim's own side reads every id route with the same ids, so a route that
404s for everyone cannot pass.

Nothing here lists routes: a new route is covered as soon as it exists. What
it may need is one of the following, and the failing test says which.

**A new URL parameter** (``<uuid:order_id>``): register a resolver that
returns the id of a row of tenant ``v``, creating it if needed::

    @parameter("order_id", "purchase_order_id")
    def _order(v: Victim) -> uuid.UUID:
        from baton.provider_console.orders import services as orders

        order = orders.create_order(
            v.session, v.org_id, v.provider_id,
            requirement_id=uuid.UUID(v.id("requirement_id")), note=f"Order {v.tag}",
        )
        v.mark(order.number, f"Order {v.tag}")  # text that must never reach an attacker
        return order.id

* Resolvers run for several (client, provider) pairs: the victim (acme,
  north), the former provider's past work (acme, former) and each attacker's
  own rows (``OWN_ROWS``). Use ``v.org_id``, ``v.provider_id``, ``v.key`` and
  ``v.tag`` (unique per pair and test; put it in every name you make), never
  a hard-coded "acme".
* ``v.session`` is a service session open while the rows are built (it is
  committed afterwards); ``v.id("supplier_id")`` gives a row another resolver
  made (a revision needs its document, a requirement its supplier). A
  resolver runs only if some route takes its parameter, so it may import a
  feature lazily.
* Pick a row both the client and its provider may use (``provider_id`` =
  ``v.provider_id`` where the table has one, in a state the provider sees, e.g.
  submitted rather than draft): the positive control needs someone on the
  victim's side (its admin or sourcing user, the provider's admin or buyer)
  to read every id route (2xx/3xx); a write may be refused after the lookup
  (400, 409, 422). The former provider must be able to open its rows through
  /provider/ pages before its engagement ends.
* Client reference data every engaged provider may read belongs in
  ``REFERENCE_PARAMETERS``.

**A public endpoint** (answers without sign-in): add it to
``PUBLIC_ENDPOINTS`` with the reason it may answer anyone.

**A signed-link endpoint** (``<token>``): add it to ``SIGNED_LINK_ENDPOINTS``
with the purpose it unsigns; for a new purpose add a ``LinkPurpose`` saying
how an attacker gets a genuine link of that kind for themselves and what
payload would point it at the victim.

**A body the generic one does not satisfy**: API bodies are built from the
route's flask-smorest ``@blp.arguments`` schemas (JSON, or multipart with a
small PDF for uploads); pages get generic fields (name, title, email, note,
role=viewer, a PDF ``file``, every victim id...). A route should look its
object up before it validates the body, so a foreign id is a 404 whatever the
body; if it cannot, add fields to ``FORM_OVERRIDES`` under its endpoint.

The victim's data is compared through a service session before and after the
requests: every table of the database (reflected, so it follows the
migrations) with a ``tenant_id``, ``organisation_id`` or ``client_id`` column
has its victim rows hashed, plus the victim's users. New tables need nothing.
"""

from __future__ import annotations

import base64
import io
import json
import uuid
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.orm import Session
from werkzeug.routing import Rule

from baton.platform.db import Base, db, utcnow
from baton.platform.models_registry import load_all_models
from baton.platform.request_context import Actor, acting_as
from baton.platform.tenancy import SERVICE_CONTEXT
from tests.support.world import PASSWORD, World

VICTIM = "acme"
VICTIM_PROVIDER = "north"
# globex: another client; other: a provider never engaged with acme; former: a
# provider whose engagement with acme has ended; rival: a provider acme engages
# too, which must not see what acme hands to north. The last two are made
# here, not in the World.
ATTACKERS = ("globex", "other", "former", "rival")
# attacker -> (client, provider) of the rows it owns itself, mixed with one
# victim id in routes that take several; the rival's are acme rows handed to it.
OWN_ROWS = {"globex": ("globex", "north"), "other": ("globex", "other"), "rival": ("acme", "rival")}
FORMER, RIVAL = "former", "rival"
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
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
OWNER_COLUMNS = ("tenant_id", "organisation_id", "client_id")
# Ids made for every victim, routes or not: forms may carry them.
ALWAYS = frozenset({"org_id", "membership_id", "user_id", "engagement_id", "invitation_id"})
# A status the victim's own side may get from a write and still have reached
# the row (the body or the row's state is checked after the lookup).
REACHED = frozenset({400, 409, 422})

# --- what may answer without signing in --------------------------------------

PUBLIC_ENDPOINTS: dict[str, str] = {
    "auth.login": "the sign-in form itself",
    "auth.no_organisation": "explains that an account has no organisation; shows no data",
    "auth.forgot_password": "asks for an email and answers the same whether it exists or not",
    "health.healthz": "liveness probe for the load balancer",
    "health.readyz": "readiness probe; reports component health, no tenant data",
    "static": "CSS, JS and images shipped with the app",
    "bootstrap.static": "Bootstrap's files, served locally instead of from a CDN",
    "api-docs.openapi_json": "the API description; holds no data",
}
# Registered only in some configurations; listed so they pass where they exist.
_DEV_MAIL = (
    "the embedded mode's outgoing mail, every organisation's: registered only with"
    " BATON_ENV=development or BATON_DEV_PAGES=1 (demo data), never in production"
)
PUBLIC_ENDPOINTS.update(
    {
        f"dev.{name}": _DEV_MAIL
        for name in ("mail_list", "mail_show", "mail_html", "mail_raw", "mail_attachment")
    }
)


@dataclass(frozen=True)
class LinkPurpose:
    """How an attacker obtains a genuine link of this purpose for themselves,
    and which payload would point it at the victim."""

    own_payload: Callable[[Attacker, Session], dict]
    victim_payload: Callable[[Victim], dict]


# Filled in below, once the payload functions exist.
LINK_PURPOSES: dict[str, LinkPurpose] = {}

# endpoint -> the purpose its <token> is unsigned with
SIGNED_LINK_ENDPOINTS: dict[str, str] = {
    "auth.accept_invitation": "invitation",
    "auth.reset_password": "reset",
}

# --- the victim ----------------------------------------------------------------

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


def _system():
    return acting_as(Actor("system", None, "isolation test setup"))


@parameter("membership_id")
def _membership(v: Victim) -> uuid.UUID:
    # Not the admin: the last-admin guard must not be what stops a leak.
    return v.world.memberships[f"{v.key}_sourcing"]


@parameter("user_id")
def _user(v: Victim) -> uuid.UUID:
    from baton.tenants.models import Membership

    return v.session.get(Membership, v.world.memberships[f"{v.key}_sourcing"]).user_id


@parameter("org_id", "organisation_id", "client_id", "tenant_id")
def _organisation(v: Victim) -> uuid.UUID:
    return v.org_id


@parameter("engagement_id")
def _engagement(v: Victim) -> uuid.UUID:
    return v.world.engagements[f"{v.key}-{v.provider_key}"]


@parameter("invitation_id")
def _invitation(v: Victim) -> uuid.UUID:
    from baton.tenants.models import Invitation

    # A row, not services.invite: that would leave an outbox message for some
    # other test's relay to send.
    invitation = Invitation(
        id=uuid.uuid4(),
        organisation_id=v.org_id,
        email=f"invitee.{v.tag}@example.com",
        role="sourcing",
        expires_at=utcnow() + timedelta(days=7),
    )
    v.session.add(invitation)
    v.session.flush()
    v.mark(invitation.email)
    return invitation.id


@parameter("token_id", "api_token_id")
def _api_token(v: Victim) -> uuid.UUID:
    from baton.tenants import services

    client = services.get_organisation(v.session, v.org_id)
    _text, row = services.create_api_token(
        v.session, client, name=f"ERP link {v.tag}", role="admin", created_by=None
    )
    v.mark(row.prefix)
    return row.id


@parameter("task_id", "background_task_id")
def _background_task(v: Victim) -> uuid.UUID:
    from baton.platform.tasks import BackgroundTask

    # A client's own requirement import: the task pages of the organisation and
    # of the import itself both show it to the client (not to its provider).
    task = BackgroundTask(
        id=uuid.uuid4(),
        tenant_id=v.org_id,
        provider_id=None,
        kind="requirements.import",
        label=f"Import {v.tag}",
        total=10,
        done=3,
    )
    v.session.add(task)
    v.session.flush()
    v.mark(task.label)
    return task.id


@parameter("outbox_id")
def _failed_job(v: Victim) -> uuid.UUID:
    from baton.platform.outbox import FAILED, OutboxMessage

    # A failed job of work the provider did for the tenant (both admins see it);
    # retrying it runs a job that finds nothing to do.
    extra = {"provider_id": v.provider_id} if hasattr(OutboxMessage, "provider_id") else {}
    message = OutboxMessage(
        **extra,
        id=uuid.uuid4(),
        created_at=utcnow(),
        tenant_id=v.org_id,
        job="tenants.send_invitation",
        payload={"invitation_id": str(uuid.uuid4())},
        status=FAILED,
        attempts=5,
        finished_at=utcnow(),
        last_error=f"SMTPRecipientsRefused: failure {v.tag}",
    )
    v.session.add(message)
    v.session.flush()
    v.mark(message.last_error)
    return message.id


@parameter("supplier_id")
def _supplier(v: Victim) -> uuid.UUID:
    from baton.sourcing.suppliers import services as suppliers

    supplier = suppliers.create_supplier(
        v.session,
        v.org_id,
        {
            "name": f"Supplier {v.tag}",
            "code": f"S-{v.tag.upper()}",
            "currency": "EUR",
            "contact_email": f"orders.{v.tag}@supplier.example",
        },
    )
    v.mark(supplier.name, supplier.contact_email)
    return supplier.id


def _upload(v: Victim, **kwargs):
    from baton.platform.storage import get_store
    from baton.sourcing.documents import services as documents

    content = f"%PDF-1.4 specification {v.tag}".encode()
    return dict(
        store=get_store(),
        stream=io.BytesIO(content),
        filename=f"spec-{v.tag}.pdf",
        max_bytes=1_000_000,
        **kwargs,
    ), documents


@parameter("document_id")
def _document(v: Victim) -> uuid.UUID:
    # Client reference data (no provider_id): acme writes it, north reads it.
    args, documents = _upload(v, kind="specification", title=f"Specification {v.tag}")
    revision = documents.create_document(v.session, tenant_id=v.org_id, **args)
    v.mark(args["title"], args["filename"])
    return revision.document_id


@parameter("revision_id")
def _revision(v: Victim) -> uuid.UUID:
    args, documents = _upload(v, note=f"Change note {v.tag}")
    revision = documents.add_revision(
        v.session, tenant_id=v.org_id, document_id=uuid.UUID(v.id("document_id")), **args
    )
    v.mark(args["note"])
    return revision.id


@parameter("requirement_id")
def _requirement(v: Victim) -> uuid.UUID:
    """Submitted, so it is in the provider's queue: both sides can open it."""
    from datetime import date
    from decimal import Decimal

    from baton.sourcing.requirements import services as requirements

    data = {
        "client_reference": f"REQ-{v.tag}",
        "title": f"Requirement {v.tag}",
        "engagement_id": uuid.UUID(v.id("engagement_id")),
        "supplier_id": uuid.UUID(v.id("supplier_id")),
        "currency": "EUR",
        "ship_to": f"Dock {v.tag}",
        "sourcing_notes": f"Sourcing note {v.tag}",
        "priority": "normal",
        "lines": [
            {
                "item_code": f"ITEM-{v.tag}",
                "description": f"Bracket {v.tag}",
                "quantity": Decimal("5"),
                "unit": "pcs",
                "unit_price": Decimal("12.50"),
                "need_by": date.today() + timedelta(days=30),
                "spec_revision_ids": [uuid.UUID(v.id("revision_id"))],
            }
        ],
    }
    requirement = requirements.save_draft(v.session, v.org_id, None, data)
    requirements.submit(v.session, v.org_id, None, requirement.id, notify=False)
    v.mark(data["title"], data["client_reference"], data["sourcing_notes"])
    return requirement.id


@parameter("snapshot_id")
def _handoff_snapshot(v: Victim) -> uuid.UUID:
    from baton.sourcing.requirements.models import Requirement

    return v.session.get(Requirement, uuid.UUID(v.id("requirement_id"))).current_snapshot_id


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
    with app.app_context(), _system():
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


# --- the attackers -------------------------------------------------------------


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


def _own_invitation(attacker: Attacker, session: Session) -> dict:
    from baton.tenants.models import Invitation

    invitation = Invitation(
        id=uuid.uuid4(),
        organisation_id=attacker.org_id,
        email=f"accomplice.{attacker.key}.{uuid.uuid4().hex[:6]}@example.com",
        role="viewer",
        expires_at=utcnow() + timedelta(days=7),
    )
    session.add(invitation)
    session.flush()
    return {"id": str(invitation.id)}


def _own_reset(attacker: Attacker, session: Session) -> dict:
    from baton.tenants.models import User
    from baton.tenants.services import reset_fingerprint

    return {
        "id": str(attacker.user_id),
        "fp": reset_fingerprint(session.get(User, attacker.user_id)),
    }


def _victim_invitation(v: Victim) -> dict:
    return {"id": v.id("invitation_id")}


def _victim_reset(v: Victim) -> dict:
    from baton.tenants.models import User
    from baton.tenants.services import reset_fingerprint

    admin = v.world.email(f"{v.key}_admin")
    with db.new_service_session(SERVICE_CONTEXT) as session:
        user = session.scalar(sa.select(User).where(User.email == admin))
        # The real fingerprint: only the signature may stop this link.
        return {"id": str(user.id), "fp": reset_fingerprint(user)}


LINK_PURPOSES.update(
    invitation=LinkPurpose(_own_invitation, _victim_invitation),
    reset=LinkPurpose(_own_reset, _victim_reset),
)


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
    with app.app_context(), _system():
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
    with app.app_context(), _system():
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


# --- callers: who sends the requests ------------------------------------------


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


# --- routes ----------------------------------------------------------------------


def methods_of(rule: Rule) -> list[str]:
    return [m for m in METHODS if m in (rule.methods or ())]


def routes(app: Flask) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


def kind_of(rule: Rule) -> str:
    """public | signed | unbuildable | unregistered | id | plain"""
    if rule.endpoint in SIGNED_LINK_ENDPOINTS:
        return "signed"
    unknown = set(rule.arguments) - set(PARAMETERS)
    if rule.endpoint in PUBLIC_ENDPOINTS:
        return "unbuildable" if unknown else "public"
    if unknown:
        return "unregistered"
    return "id" if rule.arguments else "plain"


def classification_problems(app: Flask) -> list[str]:
    problems = []
    endpoints = {r.endpoint for r in app.url_map.iter_rules()}
    for rule in routes(app):
        unknown = sorted(set(rule.arguments) - set(PARAMETERS))
        if rule.endpoint in SIGNED_LINK_ENDPOINTS:
            purpose = SIGNED_LINK_ENDPOINTS[rule.endpoint]
            if purpose not in LINK_PURPOSES:
                problems.append(
                    f"{rule.rule}: signing purpose {purpose!r} has no LinkPurpose in"
                    " tests/support/isolation.py LINK_PURPOSES"
                )
            if unknown != ["token"]:
                problems.append(f"{rule.rule}: a signed-link route must take exactly <token>")
        elif unknown and rule.endpoint not in PUBLIC_ENDPOINTS:
            if "token" in unknown:
                hint = (
                    "add its endpoint to SIGNED_LINK_ENDPOINTS with the purpose it unsigns"
                    " (and a LinkPurpose if the purpose is new)"
                )
            else:
                hint = (
                    "register a resolver with @parameter("
                    + ", ".join(repr(u) for u in unknown)
                    + ") returning the id of a victim-owned row (see the module docstring)"
                )
            problems.append(
                f"{rule.rule} ({rule.endpoint}) takes {', '.join(unknown)}, which the isolation"
                f" test cannot fill: in tests/support/isolation.py {hint}."
            )
    for name in sorted(set(PUBLIC_ENDPOINTS) | set(SIGNED_LINK_ENDPOINTS)):
        blueprint = name.rpartition(".")[0]
        if blueprint and blueprint not in app.blueprints:
            continue  # a blueprint this configuration does not register
        if name not in endpoints:
            problems.append(
                f"{name} is allow-listed in tests/support/isolation.py but no longer exists;"
                " remove it so the list stays exact."
            )
    return problems


def path_for(rule: Rule, values: dict[str, str]) -> str:
    built = rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)
    assert built is not None, f"cannot build {rule.rule}"
    return built[1]


# --- form data -------------------------------------------------------------------

Form = Callable[["Caller", "Victim"], dict]
PDF = b"%PDF-1.4 isolation probe"


@dataclass
class Body:
    """What a request sends: form fields (multipart when a file is among
    them) for pages and uploads, JSON for the rest of the API."""

    fields: dict[str, Any]
    json: bool = False

    def sent(self) -> set[str]:
        return {str(v) for v in self.fields.values() if not isinstance(v, tuple)}


def _default_form(caller: Caller, victim: Victim) -> dict:
    """Plausible fields for any form, with victim ids under every parameter name,
    so a create or update that takes a foreign id in its body is tried too."""
    probe = f"Isolation probe {uuid.uuid4().hex[:6]}"
    data: dict[str, Any] = {
        "name": probe,
        "title": probe,
        "email": f"intruder.{uuid.uuid4().hex[:8]}@example.com",
        "password": "Isolation-probe-password-1",
        "role": "viewer",
        "note": probe,
        "reason": probe,
        "comment": probe,
        "file": (io.BytesIO(PDF), "probe.pdf"),
    }
    data.update(victim.ids)
    return data


FORM_OVERRIDES: dict[str, Form] = {
    # Correct credentials: a wrong password would count towards the per-address
    # sign-in throttle that every other test's login shares.
    "auth.login": lambda caller, victim: {"email": caller.email, "password": PASSWORD},
}


def _api_arguments(app: Flask, endpoint: str) -> list[dict]:
    """The flask-smorest ``@blp.arguments`` of a view: schema and location."""
    view = app.view_functions.get(endpoint)
    return getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", [])


def _sample(name: str, fld: Any, defaults: dict) -> Any:
    """A valid value for one marshmallow field, preferring the default form's."""
    from flask_smorest.fields import Upload
    from marshmallow import fields, validate

    for validator in fld.validators:
        if isinstance(validator, validate.OneOf):
            return list(validator.choices)[0]
    if isinstance(fld, Upload):
        return (io.BytesIO(PDF), "probe.pdf")
    if (victim_id := _victim_id_for(name, defaults)) is not None:
        return [victim_id] if isinstance(fld, fields.List) else victim_id
    if name in defaults and not isinstance(fld, fields.Nested | fields.List | fields.Boolean):
        return defaults[name]
    if isinstance(fld, fields.Nested):
        sample = _sample_schema(fld.schema, defaults)
        return [sample] if fld.many else sample
    if isinstance(fld, fields.List):
        return [_sample(name, fld.inner, defaults)]
    kinds = (
        (fields.Email, lambda: defaults["email"]),
        (fields.UUID, lambda: str(uuid.uuid4())),
        (fields.Boolean, lambda: False),
        (fields.Integer, lambda: 1),
        (fields.Number, lambda: "1"),
        (fields.DateTime, lambda: utcnow().isoformat()),
        (fields.Date, lambda: (utcnow() + timedelta(days=30)).date().isoformat()),
        (fields.Dict, dict),
    )
    for kind, make in kinds:
        if isinstance(fld, kind):
            return make()
    return defaults["name"]


def _victim_id_for(name: str, defaults: dict) -> str | None:
    """The victim's id for a field named after a parameter, also with a prefix
    or in the plural: ``awarded_supplier_id``, ``spec_revision_ids``."""
    stem = name[:-1] if name.endswith("_ids") else name
    for param in sorted(PARAMETERS, key=len, reverse=True):
        if param in defaults and (stem == param or stem.endswith(f"_{param}")):
            return defaults[param]
    return None


def _sample_schema(schema: Any, defaults: dict) -> dict:
    """Required fields, plus any field the default form has a value for or
    that names a victim id (so a PATCH does change something, and a foreign id
    in a body is tried, if the lookup lets it through)."""
    schema = schema() if isinstance(schema, type) else schema
    return {
        fld.data_key or name: _sample(name, fld, defaults)
        for name, fld in schema.fields.items()
        if not fld.dump_only
        and (
            fld.required
            or name in defaults
            or (fld.data_key or name) in defaults
            or _names_victim_id(name, fld, defaults)
        )
    }


def _names_victim_id(name: str, fld: Any, defaults: dict) -> bool:
    """The field, or a field nested in it (``lines[].spec_revision_ids``), takes a victim id."""
    from marshmallow import fields

    if _victim_id_for(name, defaults) is not None:
        return True
    if isinstance(fld, fields.List):
        return _names_victim_id(name, fld.inner, defaults)
    if isinstance(fld, fields.Nested):
        nested = fld.schema
        return any(
            _names_victim_id(n, f, defaults) for n, f in nested.fields.items() if not f.dump_only
        )
    return False


def body_for(app: Flask, rule: Rule, caller: Caller, victim: Victim) -> Body:
    endpoint = rule.endpoint
    defaults = _default_form(caller, victim)
    arguments = [a for a in _api_arguments(app, endpoint) if a["in"] != "query"]
    if arguments:
        fields_: dict[str, Any] = {}
        for argument in arguments:
            fields_.update(_sample_schema(argument["schema"], defaults))
        body = Body(fields_, json=all(a["in"] == "json" for a in arguments))
    elif rule.rule.startswith("/api/"):
        body = Body({k: v for k, v in defaults.items() if k != "file"}, json=True)
    else:
        body = Body(defaults)
    if endpoint in FORM_OVERRIDES:
        body.fields.update(FORM_OVERRIDES[endpoint](caller, victim))
    return body


def _sent_values(path: str, body: Body | None) -> set[str]:
    return {path, *(body.sent() if body else ())}


def _text_of(response) -> str:
    # Downloads (PDFs, spreadsheets) are bytes; markers are ASCII either way.
    return response.get_data().decode("utf-8", errors="replace")


def leaked_markers(
    body: str, victims: Victim | Iterable[Victim], sent: Iterable[str], ids_too: bool
) -> list[str]:
    """Victim markers in a response, except those the caller sent itself."""
    sent_text = " ".join(sent)
    markers: set[str] = set()
    for victim in [victims] if isinstance(victims, Victim) else victims:
        markers |= victim.text_markers | (victim.id_markers if ids_too else set())
    return sorted(m for m in markers if m in body and m not in sent_text)


# --- the victim's data -----------------------------------------------------------


Snapshot = dict[str, tuple[str, ...]]


# Reflected once per engine: the schema does not change while the suite runs.
_REFLECTED: weakref.WeakKeyDictionary[sa.Engine, sa.MetaData] = weakref.WeakKeyDictionary()


def _owned_tables(session: Session) -> tuple[list[sa.Table], sa.Table]:
    """Tables as the database has them (reflected, so a model edited ahead of
    its migration does not break the snapshot), with the owner columns."""
    load_all_models()
    engine = session.get_bind()
    if engine not in _REFLECTED:
        _REFLECTED[engine] = sa.MetaData()
        _REFLECTED[engine].reflect(bind=session.connection())
    reflected = _REFLECTED[engine]
    owned = [
        table for table in reflected.sorted_tables if any(name in table.c for name in OWNER_COLUMNS)
    ]
    missing = sorted(
        t.name
        for t in Base.metadata.sorted_tables
        if any(n in t.c for n in OWNER_COLUMNS) and t.name not in reflected.tables
    )
    assert not missing, f"models without a migrated table: {missing}"
    return owned, reflected.tables["users"]


def _is(column: sa.Column, value: uuid.UUID):
    # Bound as a Uuid whatever the reflected type: SQLite stores 32 hex digits.
    return column == sa.bindparam(None, value, type_=sa.Uuid())


def snapshot(app: Flask, victim: Victim) -> Snapshot:
    """Every victim row of every tenant-scoped table, and the victim's users."""
    return _rows_of(app, victim.org_id, victim.user_ids)


def _rows_of(app: Flask, org_id: uuid.UUID, user_ids: Iterable[uuid.UUID] = ()) -> Snapshot:
    out: Snapshot = {}
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            tables, users = _owned_tables(session)
            for table in tables:
                owners = [table.c[name] for name in OWNER_COLUMNS if name in table.c]
                rows = session.execute(
                    sa.select(table).where(sa.or_(*(_is(c, org_id) for c in owners)))
                ).all()
                out[table.name] = tuple(sorted(repr(tuple(r)) for r in rows))
            people = session.execute(
                sa.select(users).where(sa.or_(sa.false(), *(_is(users.c.id, u) for u in user_ids)))
            ).all()
            out["users (the victim's people)"] = tuple(sorted(repr(tuple(r)) for r in people))
        finally:
            session.rollback()
            session.close()
    return out


def foreign_references(
    app: Flask, org_id: uuid.UUID, victims: Iterable[Victim], allowed: set[str]
) -> list[str]:
    """Rows of the attacker's own organisation that now hold a victim id: a
    create or update accepted a foreign id (``supplier_id=<acme's>``) in its body."""
    ids = {i for v in victims for i in v.id_markers} - allowed
    found = set()
    for table, rows in _rows_of(app, org_id).items():
        for row in rows:
            # SQLite keeps a UUID as 32 hex digits, PostgreSQL as a UUID.
            found |= {f"{table} holds {i}" for i in ids if i in row or i.replace("-", "") in row}
    return sorted(found)


def changed_tables(before: Snapshot, after: Snapshot) -> list[str]:
    changed = []
    for name in sorted(set(before) | set(after)):
        old, new = set(before.get(name, ())), set(after.get(name, ()))
        if old != new:
            changed.append(f"{name} (-{len(old - new)} +{len(new - old)} rows)")
    return changed


# --- the checks --------------------------------------------------------------------


def _is_login_redirect(response) -> bool:
    return (
        response.status_code in (301, 302, 303, 307, 308)
        and urlsplit(response.headers.get("Location", "")).path.rstrip("/") == "/login"
    )


def _former_control(
    app: Flask, attackers: list[Attacker], only: Callable[[Rule], bool] | None
) -> list[str]:
    """The former provider's 404s mean something only if, while engaged, it
    could open its rows through the provider console."""
    provider_routes = [
        r
        for r in routes(app)
        if r.rule.startswith("/provider/")
        and kind_of(r) == "id"
        and "GET" in methods_of(r)
        and (not only or only(r))
    ]
    return [
        f"the former provider opened none of {len(provider_routes)} provider id routes with"
        " the rows handed to it while it was engaged, so its 404s after the engagement"
        " ended prove nothing (see _end_former_engagement)"
        for a in attackers
        if a.past is not None and provider_routes and not a.reached_while_engaged
    ]


Path = tuple[str, str, frozenset[str]]  # path, whose ids, the parameters given victim ids


def _paths(rule: Rule, victim: Victim, attacker: Attacker) -> list[Path]:
    """The victim's ids; and where a route takes several, the attacker's own
    ids with one victim id among them (the inner lookup must check too)."""
    whose = f"the {victim.variant} victim's ids" if victim.variant else "victim ids"
    paths = [(path_for(rule, victim.ids), whose, frozenset(rule.arguments))]
    if attacker.own is not None and len(rule.arguments) > 1:
        for name in sorted(rule.arguments):
            mixed = {**attacker.own.ids, name: victim.id(name)}
            paths.append(
                (
                    path_for(rule, mixed),
                    f"the attacker's own ids but the victim's {name}",
                    frozenset({name}),
                )
            )
    return paths


@dataclass
class _Probe:
    method: str
    rule: Rule
    kind: str
    path: str
    whose: str
    victim_params: frozenset[str]


def _probes(app: Flask, targets: list[Victim], attacker: Attacker, only) -> list[_Probe]:
    """Every request one attacker sends, reads first: GETs are checked for
    changes as one batch, so the slow snapshot runs once per write instead
    of once per request."""
    probes = []
    for rule in routes(app):
        kind = kind_of(rule)
        if kind not in ("id", "plain", "public") or (only and not only(rule)):
            continue
        paths = [p for t in targets for p in _paths(rule, t, attacker)]
        if kind != "id":
            # A page without ids may still take them in its query string
            # (?supplier_id= to preselect, filter or prefill).
            query = urlencode(sorted(targets[0].ids.items()))
            paths = [paths[0], (f"{paths[0][0]}?{query}", "victim ids in the query", frozenset())]
        for method in methods_of(rule):
            for path, whose, given in paths if method == "GET" or kind == "id" else paths[:1]:
                probes.append(_Probe(method, rule, kind, path, whose, given))
    return sorted(probes, key=lambda p: p.method != "GET")


def check_foreign_access(
    app: Flask,
    victim: Victim,
    attackers: list[Attacker],
    only: Callable[[Rule], bool] | None = None,
) -> list[str]:
    """Every route, as every attacker: 404 for victim ids, no victim data shown,
    nothing of the victim's changed. Returns the problems found."""
    problems: list[str] = []
    # The victim's rows, and those it handed to a provider whose engagement has ended.
    targets = [victim, *(a.past for a in attackers if a.past is not None)]
    problems += _former_control(app, attackers, only)
    baseline = snapshot(app, victim)

    def send(caller: Caller, attacker: Attacker, probe: _Probe) -> tuple[str, int]:
        rule, path, method = probe.rule, probe.path, probe.method
        data = body_for(app, rule, caller, victim) if method != "GET" else None
        response = caller.open(method, path, data)
        where = f"{method} {rule.rule} as {caller.label} ({path})"
        status = response.status_code
        readable = probe.kind == "id" and probe.victim_params <= attacker.may_read
        if probe.kind == "id" and not readable and status != 404:
            problems.append(f"{where}: expected 404 for {probe.whose}, got {status}")
        elif readable and method != "GET" and status not in (403, 404):
            problems.append(
                f"{where}: a provider may read client reference data, not write it; got {status}"
            )
        elif status >= 500:
            problems.append(f"{where}: server error {status}")
        sent = _sent_values(path, data) | attacker.allowed
        sent |= set().union(*(t.markers_of(attacker.may_read) for t in targets))
        leaked = leaked_markers(_text_of(response), targets, sent, ids_too=probe.kind != "id")
        if leaked:
            problems.append(f"{where}: response shows victim data {leaked}")
        if moved := caller.session_problem():
            problems.append(f"{where}: {moved}")
        return where, status

    def changed(where: str) -> bool:
        nonlocal baseline
        after = snapshot(app, victim)
        if after == baseline:
            return False
        problems.append(
            f"{where}: changed victim data: {', '.join(changed_tables(baseline, after))}"
        )
        baseline = after
        return True

    for attacker in attackers:
        caller = attacker_caller(app, attacker)
        probes = _probes(app, targets, attacker, only)
        reads = [p for p in probes if p.method == "GET"]
        for probe in reads:
            send(caller, attacker, probe)
        # Reads, and writes the app refused (web.py rolls back any answer of 400
        # or more), are checked in batches; a culprit is named if it does it again.
        rules = ", ".join(sorted({p.rule.rule for p in reads}))
        if changed(f"one of the GET requests as {caller.label} (to {rules})"):
            for probe in reads:
                changed(send(caller, attacker, probe)[0])
        refused: list[_Probe] = []
        for probe in probes[len(reads) :]:
            where, status = send(caller, attacker, probe)
            if status >= 400:
                refused.append(probe)
                continue
            changed(
                where + (f" (or one of {len(refused)} refused writes before it)" if refused else "")
            )
            refused.clear()
        rules = ", ".join(sorted({f"{p.method} {p.rule.rule}" for p in refused}))
        if refused and changed(f"one of the refused writes as {caller.label} ({rules})"):
            for probe in refused:
                changed(send(caller, attacker, probe)[0])
        allowed = attacker.allowed | set().union(
            *(t.markers_of(attacker.may_read) for t in targets)
        )
        for found in foreign_references(app, attacker.org_id, targets, allowed):
            problems.append(
                f"after {caller.label}'s requests, {found} (a body's foreign id was kept)"
            )
    return problems


def check_anonymous_access(
    app: Flask, victim: Victim, only: Callable[[Rule], bool] | None = None
) -> list[str]:
    """Only allow-listed endpoints answer someone who is not signed in."""
    problems: list[str] = []
    caller = anonymous_caller(app)
    baseline = snapshot(app, victim)
    for rule in routes(app):
        if kind_of(rule) not in ("id", "plain") or (only and not only(rule)):
            continue
        for method in methods_of(rule):
            path = path_for(rule, victim.ids)
            data = body_for(app, rule, caller, victim) if method != "GET" else None
            response = caller.open(method, path, data)
            where = f"{method} {rule.rule} ({rule.endpoint}) without signing in"
            if response.status_code != 401 and not _is_login_redirect(response):
                problems.append(
                    f"{where}: answered {response.status_code} instead of 401 or a redirect to"
                    " /login. Protect it with @require / @token_required, or if it is meant"
                    " to be public add it to PUBLIC_ENDPOINTS in tests/support/isolation.py"
                    " with the reason."
                )
            leaked = leaked_markers(
                _text_of(response), victim, _sent_values(path, data), ids_too=True
            )
            if leaked:
                problems.append(f"{where}: response shows victim data {leaked}")
            after = snapshot(app, victim)
            if after != baseline:
                problems.append(
                    f"{where}: changed victim data: {', '.join(changed_tables(baseline, after))}"
                )
                baseline = after
    return problems


def _tampered(genuine: str, payload: dict) -> str:
    """The attacker's own genuine link with its payload swapped for the victim's."""
    _body, stamp, signature = genuine.rsplit(".", 2)
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body.decode().rstrip('=')}.{stamp}.{signature}"


def attacker_link_tokens(
    app: Flask, purpose: str, victim: Victim, attacker: Attacker
) -> list[tuple[str, str]]:
    """Every token an attacker can produce for a link of ``purpose``, with a label."""
    with app.app_context():
        payload = LINK_PURPOSES[purpose].victim_payload(victim)
    tokens = [
        ("garbage", "not-a-real-link"),
        ("empty payload", "e30.AAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        (
            "victim payload signed with a guessed key",
            URLSafeTimedSerializer("secret", salt=f"baton.{purpose}").dumps(payload),
        ),
        ("own link with the victim's payload", _tampered(attacker.links[purpose], payload)),
    ]
    tokens += [(f"own {other} link", t) for other, t in attacker.links.items() if other != purpose]
    return tokens


def check_signed_links(app: Flask, victim: Victim, attackers: list[Attacker]) -> list[str]:
    """Signed-link routes refuse every token an attacker can make, and change nothing."""
    problems: list[str] = []
    baseline = snapshot(app, victim)
    for attacker in attackers:
        caller = attacker_caller(app, attacker)
        for rule in routes(app):
            if kind_of(rule) != "signed":
                continue
            purpose = SIGNED_LINK_ENDPOINTS[rule.endpoint]
            # Control: the attacker's own genuine link opens, so the refusals
            # below are the signature's doing, not a broken token maker.
            genuine = path_for(rule, {"token": attacker.links[purpose]})
            if (status := anonymous_caller(app).open("GET", genuine).status_code) != 200:
                problems.append(
                    f"GET {rule.rule}: {attacker.key}'s own genuine {purpose} link answers"
                    f" {status}, so refusing forged ones proves nothing; fix its LinkPurpose"
                )
            for label, token in attacker_link_tokens(app, purpose, victim, attacker):
                for method in methods_of(rule):
                    path = path_for(rule, {"token": token})
                    data = body_for(app, rule, caller, victim) if method != "GET" else None
                    response = caller.open(method, path, data)
                    where = f"{method} {rule.rule} as {caller.label} with {label}"
                    if response.status_code not in (400, 404):
                        problems.append(f"{where}: expected 400/404, got {response.status_code}")
                    leaked = leaked_markers(
                        _text_of(response),
                        victim,
                        _sent_values(path, data) | attacker.allowed,
                        ids_too=True,
                    )
                    if leaked:
                        problems.append(f"{where}: response shows victim data {leaked}")
                    if moved := caller.session_problem():
                        problems.append(f"{where}: {moved}")
                    after = snapshot(app, victim)
                    if after != baseline:
                        problems.append(
                            f"{where}: changed victim data: {', '.join(changed_tables(baseline, after))}"
                        )
                        baseline = after
    return problems


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


def check_victim_reaches(
    app: Flask, victim: Victim, only: Callable[[Rule], bool] | None = None
) -> list[str]:
    """Positive control: with the same ids, someone on the victim's side gets
    past the lookup of every id route, so the attackers' 404 means something."""
    problems: list[str] = []
    callers = victim_callers(app, victim)
    order = {m: i for i, m in enumerate(("GET", "POST", "PUT", "PATCH", "DELETE"))}
    attempts = sorted(
        (
            (order[m], rule.rule, m, rule)
            for rule in routes(app)
            if kind_of(rule) == "id" and (not only or only(rule))
            for m in methods_of(rule)
        ),
        key=lambda a: a[:3],
    )
    for _i, _r, method, rule in attempts:
        path = path_for(rule, victim.ids)
        seen = []
        for caller in callers:
            data = body_for(app, rule, caller, victim) if method != "GET" else None
            status = caller.open(method, path, data).status_code
            caller.session_problem()
            seen.append(f"{caller.label}: {status}")
            # A read must succeed; a write may be refused for its body or state.
            if status < 400 or (method != "GET" and status in REACHED):
                break
        else:
            problems.append(
                f"{method} {rule.rule} ({path}): nobody on the victim's side reaches it"
                f" ({'; '.join(seen)}), so its 404 for attackers proves nothing. Fix the route,"
                " or make its resolver return a row the victim's admin or buyer can use."
            )
    return problems
