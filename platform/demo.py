"""Demo organisations and logins for the embedded mode (``make run``)."""

from __future__ import annotations

import click
import sqlalchemy as sa

from baton.platform.db import db
from baton.platform.tenancy import SERVICE_CONTEXT

DEMO_PASSWORD = "baton-demo-2026"  # noqa: S105 - printed on start, demo only

ORGS = [
    ("Northwind Procurement Services", "provider", "NWPS"),
    ("Acme Robotics", "client", "ACME"),
    ("Globex Energy", "client", "GLBX"),
]
PEOPLE = [
    ("Northwind Procurement Services", "admin@northwind.example", "Nora Admin", "admin"),
    ("Northwind Procurement Services", "buyer1@northwind.example", "Bea Buyer", "buyer"),
    ("Northwind Procurement Services", "buyer2@northwind.example", "Ben Buyer", "buyer"),
    ("Acme Robotics", "admin@acme.example", "Alice Admin", "admin"),
    ("Acme Robotics", "sourcing@acme.example", "Sam Sourcing", "sourcing"),
    ("Acme Robotics", "approver@acme.example", "Amy Approver", "approver"),
    ("Globex Energy", "admin@globex.example", "Gina Admin", "admin"),
    ("Globex Energy", "sourcing@globex.example", "Gus Sourcing", "sourcing"),
    ("Globex Energy", "approver@globex.example", "Greta Approver", "approver"),
]


def seed() -> bool:
    """Create what is missing; returns False when the demo was already there."""
    from baton.tenants import services
    from baton.tenants.models import Organisation

    session = db.new_service_session(SERVICE_CONTEXT)
    try:
        if session.scalar(sa.select(Organisation.id).where(Organisation.code == "NWPS")):
            return False
        orgs = {
            name: services.create_organisation(session, name=name, kind=kind, code=code)
            for name, kind, code in ORGS
        }
        for org_name, email, person, role in PEOPLE:
            user = services.create_user(session, email=email, name=person, password=DEMO_PASSWORD)
            services.add_member(session, orgs[org_name], user, role)
        provider = orgs["Northwind Procurement Services"]
        for client in ("Acme Robotics", "Globex Energy"):
            services.create_engagement(session, client=orgs[client], provider=provider)
        session.commit()
        return True
    finally:
        session.close()


def print_logins() -> None:
    click.echo("")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD})")
    for org_name, email, _person, role in PEOPLE:
        click.echo(f"  {email:<28} {role:<9} {org_name}")
    click.echo("")
