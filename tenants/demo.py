"""Demo organisations, logins and handoff data for the embedded mode (``make run``).

``seed`` creates what is missing and never duplicates: the organisations and
people the first time, then each area's demo (the handoff story) once, also
into organisations left by an older seed that had no handoff data.
"""

from __future__ import annotations

import click
import sqlalchemy as sa

from baton.platform.db import db
from baton.platform.tenancy import SERVICE_CONTEXT

DEMO_PASSWORD = "baton-demo-2026"  # noqa: S105 - printed on start, demo only

PROVIDER = "Northwind Procurement Services"
ORGS = [
    (PROVIDER, "provider", "NWPS"),
    ("Acme Robotics", "client", "ACME"),
    ("Globex Energy", "client", "GLBX"),
]
PEOPLE = [
    (PROVIDER, "admin@northwind.example", "Nora Admin", "admin"),
    (PROVIDER, "buyer1@northwind.example", "Bea Buyer", "buyer"),
    (PROVIDER, "buyer2@northwind.example", "Ben Buyer", "buyer"),
    ("Acme Robotics", "admin@acme.example", "Alice Admin", "admin"),
    ("Acme Robotics", "sourcing@acme.example", "Sam Sourcing", "sourcing"),
    ("Acme Robotics", "approver@acme.example", "Amy Approver", "approver"),
    ("Globex Energy", "admin@globex.example", "Gina Admin", "admin"),
    ("Globex Energy", "sourcing@globex.example", "Gus Sourcing", "sourcing"),
    ("Globex Energy", "approver@globex.example", "Greta Approver", "approver"),
]
# What each login finds waiting, printed after the logins (the README tour says more).
TRY = {
    "admin@northwind.example": "Home: due today / overdue / open per client; the Audit log shows both clients' handoffs; Organisation > Billing: last month's statement prorates Starter to Growth",
    "buyer1@northwind.example": "ACME-REQ-1044 is yours and overdue: accept it; then Orders: submit ACME-000003 (price exception), chase ACME-000004 from Follow-up; ACME-000009 needs a change order for SPEC-MM10 rev 2; Issues: Kessler's quality hold",
    "buyer2@northwind.example": "claim GLBX-REQ-2001 from the unclaimed arrivals on Home; ACME-REQ-1043 waits on Acme",
    "admin@acme.example": "renew Nordic Cable under Suppliers; give the servo-motor order its second approval; answer the order issue on Home; Orders > Approval policy; Organisation > Usage (CSV)",
    "sourcing@acme.example": "fix the returned requirement ACME-REQ-1043 (reasons on Home) and hand it off again; finish draft ACME-REQ-1045",
    "approver@acme.example": "Approvals: two orders wait for you; one still needs Alice after you (two approvers above 20,000 EUR)",
    "admin@globex.example": "Globex sees none of Acme's suppliers, documents or requirements",
    "sourcing@globex.example": "GLBX-REQ-2001 is with Northwind; attach SPEC-TB36 to a new requirement",
    "approver@globex.example": "read-only: the handed-off GLBX-REQ-2001 and its snapshot",
}

# A platform operator: no organisation; reads every demo email in the mail viewer,
# including the suppliers' order emails with their links.
OPERATOR = ("operator@baton.example", "Olga Operator")
TRY_OPERATOR = (
    "Operator > Providers' billing: Northwind's plan, usage and MRR; Operator > Plans;"
    " /dev/mail shows every email, the suppliers' order links among them"
)

CREATED = "created"
ADDED = "added"
PRESENT = "present"
OUTCOME_TEXT = {
    CREATED: "Demo data created.",
    ADDED: "Demo organisations were already there; their suppliers, documents and requirements were added.",
    PRESENT: "Demo data already present; kept as is.",
}


def seed_organisations() -> bool:
    """The organisations, people and engagements; False when they were already there."""
    from baton.tenants import services
    from baton.tenants.models import Organisation

    session = db.new_service_session(SERVICE_CONTEXT)
    try:
        if session.scalar(sa.select(Organisation.id).where(Organisation.name == PROVIDER)):
            return False
        orgs = {
            name: services.create_organisation(session, name=name, kind=kind, code=code)
            for name, kind, code in ORGS
        }
        for org_name, email, person, role in PEOPLE:
            user = services.create_user(session, email=email, name=person, password=DEMO_PASSWORD)
            services.add_member(session, orgs[org_name], user, role)
        services.create_user(
            session, email=OPERATOR[0], name=OPERATOR[1], password=DEMO_PASSWORD, operator=True
        )
        provider = orgs[PROVIDER]
        for client in ("Acme Robotics", "Globex Energy"):
            services.create_engagement(session, client=orgs[client], provider=provider)
        session.commit()
        return True
    finally:
        session.close()


def seed() -> str:
    """Create what is missing; returns CREATED, ADDED or PRESENT."""
    from baton.platform.areas import areas, resolve
    from baton.tenants.billing.demo import seed_plans

    created = seed_organisations()
    # Before the areas' stories: their history is metered at past times, and
    # the plans must already be in force then for the statements to price it.
    seed_plans(PROVIDER)
    # Then each area's part of the story, in dependency order.
    added = False
    for area in areas():
        if area.demo and area.name != "tenants":
            added = bool(resolve(area.demo)()) or added
    if created:
        return CREATED
    return ADDED if added else PRESENT


def print_logins() -> None:
    click.echo("")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD})")
    for org_name, email, _person, role in PEOPLE:
        click.echo(f"  {email:<28} {role:<9} {org_name}")
    click.echo(f"  {OPERATOR[0]:<28} {'operator':<9} the platform")
    click.echo("")
    click.echo("What to try:")
    for _org_name, email, _person, _role in PEOPLE:
        click.echo(f"  {email} — {TRY[email]}")
    click.echo(f"  {OPERATOR[0]} — {TRY_OPERATOR}")
    click.echo("")
