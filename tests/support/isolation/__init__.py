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
returns the id of a row of tenant ``v``, creating it if needed, in
``resolvers/<area>.py`` for the area that owns the row (``platform``,
``tenants``, ``sourcing``...; a purchase order would go in
``resolvers/procurement.py``). Every module of ``resolvers/`` is imported, so
a new one needs no other edit::

    @parameter("order_id", "purchase_order_id")
    def _order(v: Victim) -> uuid.UUID:
        from baton.procurement.orders import services as orders

        order = orders.create_order(
            v.session, v.org_id, v.provider_id,
            requirement_id=uuid.UUID(v.id("requirement_id")), note=f"Order {v.tag}",
        )
        v.mark(order.number, f"Order {v.tag}")  # text that must never reach an attacker
        return order.id

(``Victim`` and ``parameter`` come from ``tests.support.isolation.victim``.)

* Resolvers run for several (client, provider) pairs: the victim (acme,
  north), the former provider's past work (acme, former) and each attacker's
  own rows (``OWN_ROWS``). Use ``v.org_id``, ``v.provider_id``, ``v.key`` and
  ``v.tag`` (unique per pair and test; put it in every name you make), never
  a hard-coded "acme".
* ``v.session`` is a service session open while the rows are built (it is
  committed afterwards); ``v.id("supplier_id")`` gives a row another resolver
  made (a revision needs its document, a requirement its supplier), whatever
  module registered it. A resolver runs only if some route takes its
  parameter, so it may import a feature lazily (inside the function).
* Pick a row both the client and its provider may use (``provider_id`` =
  ``v.provider_id`` where the table has one, in a state the provider sees, e.g.
  submitted rather than draft): the positive control needs someone on the
  victim's side (its admin or sourcing user, the provider's admin or buyer)
  to read every id route (2xx/3xx); a write may be refused after the lookup
  (400, 409, 422). The former provider must be able to open its rows through
  /provider/ pages before its engagement ends.
* Client reference data every engaged provider may read belongs in
  ``REFERENCE_PARAMETERS`` (``victim.py``).

**A public endpoint** (answers without sign-in): add it to
``PUBLIC_ENDPOINTS`` (``routes.py``) with the reason it may answer anyone.

**A signed-link endpoint** (``<token>``): add it to ``SIGNED_LINK_ENDPOINTS``
(``links.py``) with the purpose it unsigns; for a new purpose add a
``LinkPurpose`` to ``LINK_PURPOSES`` saying how an attacker gets a genuine
link of that kind for themselves and what payload would point it at the
victim.

**A body the generic one does not satisfy**: API bodies are built from the
route's flask-smorest ``@blp.arguments`` schemas (JSON, or multipart with a
small PDF for uploads); pages get generic fields (name, title, email, note,
role=viewer, a PDF ``file``, every victim id...). A route should look its
object up before it validates the body, so a foreign id is a 404 whatever the
body; if it cannot, add fields to ``FORM_OVERRIDES`` (``bodies.py``) under its
endpoint.

The victim's data is compared through a service session before and after the
requests: every table of the database (reflected, so it follows the
migrations) with a ``tenant_id``, ``organisation_id`` or ``client_id`` column
has its victim rows hashed, plus the victim's users. New tables need nothing.

The modules: ``victim`` (the victim, the ``@parameter`` registry),
``resolvers/`` (one module per area), ``attackers``, ``callers`` (who sends
the requests), ``routes`` (enumeration, classification, public endpoints),
``links`` (signed links), ``bodies`` (form and API bodies), ``data``
(snapshots, leaked markers, foreign references) and ``checks``.
"""

from __future__ import annotations

from tests.support.isolation import resolvers  # noqa: F401  (registers every resolver)
from tests.support.isolation.attackers import (
    ATTACKERS,
    FORMER,
    OWN_ROWS,
    RIVAL,
    Attacker,
    build_attackers,
)
from tests.support.isolation.bodies import FORM_OVERRIDES, Body, body_for
from tests.support.isolation.callers import (
    Caller,
    anonymous_caller,
    attacker_caller,
    victim_callers,
)
from tests.support.isolation.checks import (
    REACHED,
    check_anonymous_access,
    check_foreign_access,
    check_signed_links,
    check_victim_reaches,
)
from tests.support.isolation.data import (
    OWNER_COLUMNS,
    Snapshot,
    changed_tables,
    foreign_references,
    leaked_markers,
    snapshot,
)
from tests.support.isolation.links import (
    LINK_PURPOSES,
    SIGNED_LINK_ENDPOINTS,
    LinkPurpose,
    attacker_link_tokens,
)
from tests.support.isolation.routes import (
    METHODS,
    PUBLIC_ENDPOINTS,
    classification_problems,
    kind_of,
    methods_of,
    path_for,
    routes,
)
from tests.support.isolation.victim import (
    ALWAYS,
    PARAMETERS,
    REFERENCE_PARAMETERS,
    VICTIM,
    VICTIM_PROVIDER,
    Resolver,
    Victim,
    build_victim,
    parameter,
)

__all__ = [
    "ALWAYS",
    "ATTACKERS",
    "FORMER",
    "FORM_OVERRIDES",
    "LINK_PURPOSES",
    "METHODS",
    "OWNER_COLUMNS",
    "OWN_ROWS",
    "PARAMETERS",
    "PUBLIC_ENDPOINTS",
    "REACHED",
    "REFERENCE_PARAMETERS",
    "RIVAL",
    "SIGNED_LINK_ENDPOINTS",
    "VICTIM",
    "VICTIM_PROVIDER",
    "Attacker",
    "Body",
    "Caller",
    "LinkPurpose",
    "Resolver",
    "Snapshot",
    "Victim",
    "anonymous_caller",
    "attacker_caller",
    "attacker_link_tokens",
    "body_for",
    "build_attackers",
    "build_victim",
    "changed_tables",
    "check_anonymous_access",
    "check_foreign_access",
    "check_signed_links",
    "check_victim_reaches",
    "classification_problems",
    "foreign_references",
    "kind_of",
    "leaked_markers",
    "methods_of",
    "parameter",
    "path_for",
    "routes",
    "snapshot",
    "victim_callers",
]
