"""Tenant isolation across every route of the app (DESIGN.md section 2).

Every rule of ``app.url_map`` is called, on PostgreSQL and SQLite, by admins
of another client, of a provider never engaged with the victim, of one whose
engagement ended and of a rival provider the victim also engages, with ids of
rows the victim owns. Foreign ids answer 404, never 403; no response shows
the victim's data; no request changes it. A positive control shows the
victim's own side opens the same ids, and the last test proves the harness
reports leaky routes. The harness is the package tests/support/isolation/.

New routes are covered as soon as they exist. If a route takes a URL
parameter the harness does not know, the first test fails and says so; add a
resolver that makes a victim-owned row in tests/support/isolation/resolvers/,
in the module of the area that owns it (say ``resolvers/procurement.py``)::

    @parameter("order_id")
    def _order(v: Victim) -> uuid.UUID:
        order = orders.create_order(v.session, v.org_id, v.provider_id, ...)
        v.mark(order.number)  # text an attacker must never see
        return order.id

(using ``v.org_id``/``v.provider_id``/``v.tag``, never "acme": it also makes
the attackers' own rows). A new public endpoint goes in ``PUBLIC_ENDPOINTS``
with its reason, a new signed link in ``SIGNED_LINK_ENDPOINTS``; the
package's docstring (tests/support/isolation/__init__.py) has the details.
"""

from __future__ import annotations

import uuid

import pytest
from flask import abort, request

from baton.platform.auth import identity, require
from baton.platform.tasks import BackgroundTask
from baton.platform.web import dbs
from tests.support import isolation
from tests.support.world import make_world


def _report(problems: list[str]) -> str:
    return f"{len(problems)} isolation problem(s):\n  " + "\n  ".join(problems)


@pytest.fixture
def victim(app, world):
    return isolation.build_victim(app, world)


@pytest.fixture
def attackers(app, world):
    return isolation.build_attackers(app, world)


def test_every_route_parameter_has_a_victim_id(app):
    problems = isolation.classification_problems(app)
    assert not problems, _report(problems)


def test_foreign_admins_get_404_and_change_nothing(app, victim, attackers):
    problems = isolation.classification_problems(app)
    problems += isolation.check_foreign_access(app, victim, attackers)
    assert not problems, _report(problems)


def test_only_listed_endpoints_answer_without_signing_in(app, victim):
    problems = isolation.check_anonymous_access(app, victim)
    assert not problems, _report(problems)


def test_signed_links_refuse_every_token_an_attacker_can_make(app, victim, attackers):
    problems = isolation.check_signed_links(app, victim, attackers)
    assert not problems, _report(problems)


def test_victim_side_reaches_every_id_route_with_the_same_ids(app, victim):
    """Positive control: without it, a route that 404s for everyone would pass."""
    problems = isolation.check_victim_reaches(app, victim)
    assert not problems, _report(problems)


# --- the harness itself can fail ----------------------------------------------------


# Three roles in a ring: a leaky route called twice still leaves a change.
ROLE_CYCLE = {"sourcing": "viewer", "viewer": "approver", "approver": "sourcing"}


@pytest.fixture
def leaky_app(sqlite_app, tmp_path):
    """A second app on the same database with routes that have the bugs the
    harness exists to catch."""
    from baton.platform.app import create_app
    from baton.tenants.models import Membership

    url = sqlite_app.config["BATON_SETTINGS"].database_url
    app = create_app(
        {
            "instance_path": tmp_path,
            "database_url": url,
            "service_database_url": url,
            "migration_database_url": url,
            "WTF_CSRF_ENABLED": False,
            "TESTING": True,
        }
    )

    def unscoped(membership_id: uuid.UUID) -> Membership:
        membership = dbs().get(Membership, membership_id)  # no organisation filter: the bug
        if membership is None:
            abort(404)
        return membership

    def show(membership_id: uuid.UUID):
        return {"email": unscoped(membership_id).user.email}

    def deactivate(membership_id: uuid.UUID):
        unscoped(membership_id).is_active = False
        return "", 204

    def touch(membership_id: uuid.UUID):
        membership = unscoped(membership_id)  # a GET that writes, each time
        membership.role = ROLE_CYCLE[membership.role]
        return "", 204

    def sneak(membership_id: uuid.UUID):
        membership = unscoped(membership_id)  # commits, then claims it was not there
        membership.role = ROLE_CYCLE[membership.role]
        dbs().commit()
        abort(404)

    def forbidden(membership_id: uuid.UUID):
        unscoped(membership_id)
        abort(403)  # tells the attacker the id exists

    def missing_for_everyone(membership_id: uuid.UUID):
        abort(404)

    for name, view, methods in (
        ("show", show, ["GET"]),
        ("deactivate", deactivate, ["POST"]),
        ("touch", touch, ["GET"]),
        ("sneak", sneak, ["POST"]),
        ("forbidden", forbidden, ["GET"]),
        ("missing", missing_for_everyone, ["GET"]),
    ):
        app.add_url_rule(
            f"/leaky/{name}/<uuid:membership_id>", f"leaky.{name}", require()(view), methods=methods
        )

    def adopt():
        # Keeps a foreign id from the form in the attacker's own row.
        ident = identity()
        if ident.kind != "client":
            abort(404)
        dbs().add(
            BackgroundTask(
                id=uuid.uuid4(),
                tenant_id=ident.organisation.id,
                kind="adopt",
                label="adopted",
                result={"membership": request.form["membership_id"]},
            )
        )
        return "", 204

    app.add_url_rule("/leaky/adopt", "leaky.adopt", require()(adopt), methods=["POST"])
    app.add_url_rule("/leaky/open", "leaky.open", lambda: "anyone")
    app.add_url_rule("/leaky/<uuid:widget_id>", "leaky.widget", require()(lambda widget_id: ""))
    return app


def test_the_harness_reports_leaky_routes(leaky_app):
    world = make_world(leaky_app)
    victim = isolation.build_victim(leaky_app, world)
    attackers = isolation.build_attackers(leaky_app, world)

    def is_leaky(rule):
        return rule.endpoint.startswith("leaky.")

    found = "\n".join(isolation.check_foreign_access(leaky_app, victim, attackers, only=is_leaky))
    assert "GET /leaky/show/<uuid:membership_id> as globex admin" in found
    assert "expected 404 for victim ids, got 200" in found
    assert world.email("acme_sourcing") in found  # the leaked email is named
    assert "POST /leaky/deactivate/<uuid:membership_id> as globex admin" in found
    assert "changed victim data: memberships" in found
    assert "got 403" in found
    assert "one of the GET requests as globex admin" in found  # a GET that writes
    assert "/leaky/touch/<uuid:membership_id>" in found
    assert "one of the refused writes as globex admin" in found
    assert "POST /leaky/sneak/<uuid:membership_id> as globex admin" in found
    membership = str(world.memberships["acme_sourcing"])
    assert f"after globex admin's requests, background_tasks holds {membership}" in found

    control = "\n".join(isolation.check_victim_reaches(leaky_app, victim, only=is_leaky))
    assert "GET /leaky/missing/<uuid:membership_id>" in control
    assert "/leaky/show/" not in control

    anonymous = "\n".join(isolation.check_anonymous_access(leaky_app, victim, only=is_leaky))
    assert "GET /leaky/open (leaky.open) without signing in: answered 200" in anonymous

    unfilled = "\n".join(isolation.classification_problems(leaky_app))
    assert "takes widget_id" in unfilled and "@parameter('widget_id')" in unfilled
