"""Rows for handoff tests: suppliers, specification revisions, drafts.

Setup runs through the real services where they exist, in a service session
acting as the world's people, so what a test then does through the web or the
API meets the same rows a user would have made.
"""

from __future__ import annotations

import email
import email.policy
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from baton.platform.db import db, set_context, utc_today
from baton.platform.jobs import drain_inline
from baton.platform.request_context import Actor, acting_as
from baton.platform.tenancy import SERVICE_CONTEXT, client_context, provider_context
from baton.sourcing.documents.models import Document, DocumentRevision
from baton.sourcing.requirements import services
from baton.sourcing.requirements.models import Requirement
from baton.sourcing.suppliers.models import Supplier
from tests.support.world import World


def today() -> date:
    return utc_today()


@contextmanager
def service_session(app: Flask) -> Iterator[Session]:
    with app.app_context(), acting_as(Actor("system", None, "test setup")):
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            yield session
            session.commit()
        finally:
            session.close()


@contextmanager
def as_client(app: Flask, world: World, org: str = "acme", who: str | None = None):
    """A unit of work acting for a client organisation, as a service would run."""
    from baton.tenants.services import find_user

    with app.app_context():
        session = db.new_session()
        try:
            user = find_user(session, world.email(who or f"{org}_sourcing"))
            set_context(session, client_context(world.orgs[org], user.id))
            with acting_as(Actor("user", str(user.id), user.email)):
                yield session, user.id
            outbox_ids = session.info.pop("outbox_ids", [])
            session.commit()
            if outbox_ids:
                # As a request does: the jobs run once their rows are committed.
                drain_inline(outbox_ids)
        finally:
            session.close()


@contextmanager
def as_provider(app: Flask, world: World, org: str = "north", who: str | None = None):
    from baton.tenants.services import engaged_client_ids, find_user

    with app.app_context():
        session = db.new_session()
        try:
            user = find_user(session, world.email(who or f"{org}_buyer"))
            clients = engaged_client_ids(session, world.orgs[org])
            set_context(session, provider_context(world.orgs[org], clients, user.id))
            with acting_as(Actor("user", str(user.id), user.email)):
                yield session, user.id
            outbox_ids = session.info.pop("outbox_ids", [])
            session.commit()
            if outbox_ids:
                # As a request does: the jobs run once their rows are committed.
                drain_inline(outbox_ids)
        finally:
            session.close()


def make_supplier(
    app: Flask,
    world: World,
    org: str = "acme",
    *,
    code: str | None = None,
    currency: str = "EUR",
    status: str = "qualified",
    qualified_until: date | None = None,
    name: str | None = None,
    contact_email: str | None = "",
) -> uuid.UUID:
    code = code or f"S{uuid.uuid4().hex[:6].upper()}"
    if contact_email == "":
        # Where released purchase orders go.
        contact_email = f"orders.{code.lower()}@supplier.example"
    with service_session(app) as session:
        supplier = Supplier(
            id=uuid.uuid4(),
            tenant_id=world.orgs[org],
            name=name or f"Supplier {code}",
            code=code,
            currency=currency,
            categories=[],
            qualification_status=status,
            qualified_until=qualified_until,
            contact_email=contact_email,
        )
        session.add(supplier)
    return supplier.id


def make_spec(
    app: Flask, world: World, org: str = "acme", *, revisions: int = 1, title: str = "Bracket spec"
) -> list[uuid.UUID]:
    """A specification document with ``revisions`` revisions (rows only, no bytes)."""
    ids = []
    with service_session(app) as session:
        doc = Document(
            id=uuid.uuid4(),
            tenant_id=world.orgs[org],
            provider_id=None,
            kind="specification",
            title=title,
            number=f"DOC-{uuid.uuid4().hex[:8].upper()}",
            latest_revision_no=revisions,
        )
        session.add(doc)
        session.flush()
        for n in range(1, revisions + 1):
            rev = DocumentRevision(
                id=uuid.uuid4(),
                tenant_id=world.orgs[org],
                provider_id=None,
                document_id=doc.id,
                revision_no=n,
                filename=f"bracket-r{n}.pdf",
                content_type="application/pdf",
                size=100,
                sha256="0" * 64,
                storage_key=f"tenants/{world.orgs[org]}/documents/{doc.id}/{uuid.uuid4()}",
            )
            session.add(rev)
            ids.append(rev.id)
    return ids


def document_number(app: Flask, revision_id: uuid.UUID) -> str:
    with service_session(app) as session:
        rev = session.get(DocumentRevision, revision_id)
        return session.get(Document, rev.document_id).number


def good_line(**overrides: Any) -> dict[str, Any]:
    line = {
        "item_code": "BR-100",
        "description": "Bracket, zinc plated",
        "quantity": Decimal("250"),
        "unit": "each",
        "unit_price": Decimal("3.85"),
        "need_by": today() + timedelta(days=60),
        "spec_required": False,
        "spec_revision_ids": [],
    }
    line.update(overrides)
    return line


def good_data(world: World, supplier_id: uuid.UUID | None, **overrides: Any) -> dict[str, Any]:
    """A draft that passes every readiness rule (for acme, handed to north)."""
    data = {
        "client_reference": f"REQ-{uuid.uuid4().hex[:8].upper()}",
        "title": "Brackets for line 3",
        "engagement_id": world.engagements["acme-north"],
        "supplier_id": supplier_id,
        "currency": "EUR",
        "payment_terms": "30 days net",
        "incoterms": "DAP",
        "quote_reference": "Q-2291",
        "quote_valid_until": today() + timedelta(days=90),
        "ship_to": "Acme Plant 2, Dock 4",
        "sourcing_notes": "Awarded after a three-way RFQ",
        "assumptions": "Price assumes 3,000 a year",
        "priority": "normal",
        "lines": [good_line()],
    }
    data.update(overrides)
    return data


def create_draft(app: Flask, world: World, data: dict[str, Any], org: str = "acme") -> uuid.UUID:
    with as_client(app, world, org) as (session, user_id):
        req = services.save_draft(session, world.orgs[org], user_id, data)
        return req.id


def submit(
    app: Flask,
    world: World,
    requirement_id: uuid.UUID,
    org: str = "acme",
    *,
    accept_warnings: bool = False,
) -> None:
    with as_client(app, world, org) as (session, user_id):
        services.submit(
            session, world.orgs[org], user_id, requirement_id, accept_warnings=accept_warnings
        )


def submitted(app: Flask, world: World, supplier_id=None, **overrides: Any) -> uuid.UUID:
    """A ready requirement of acme, handed to north."""
    if supplier_id is None:
        supplier_id = make_supplier(app, world)
    rid = create_draft(app, world, good_data(world, supplier_id, **overrides))
    submit(app, world, rid)
    return rid


def supplier_changes(app: Flask, supplier_id: uuid.UUID, **values: Any) -> None:
    """Something happens to a supplier after a handoff (a suspension, a lapse)."""
    with service_session(app) as session:
        supplier = session.get(Supplier, supplier_id)
        for name, value in values.items():
            setattr(supplier, name, value)


def load(app: Flask, requirement_id: uuid.UUID) -> Requirement:
    with service_session(app) as session:
        req = session.get(Requirement, requirement_id)
        session.expunge(req)
        return req


def count_requirements(app: Flask, tenant_id: uuid.UUID) -> int:
    with service_session(app) as session:
        return session.scalar(
            sa.select(sa.func.count())
            .select_from(Requirement)
            .where(Requirement.tenant_id == tenant_id)
        )


def mails_to(app: Flask, address: str) -> list[email.message.EmailMessage]:
    """Messages the embedded mail mode wrote for ``address`` (the .eml files)."""
    folder = app.config["BATON_SETTINGS"].instance_path / "mail"
    found = []
    if not folder.exists():
        return found
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in (msg["To"] or ""):
            found.append(msg)
    return found


def body_text(msg: email.message.EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def load_lines(app: Flask, requirement_id: uuid.UUID) -> list:
    from baton.sourcing.requirements.models import RequirementLine

    with service_session(app) as session:
        lines = list(
            session.scalars(
                sa.select(RequirementLine)
                .where(RequirementLine.requirement_id == requirement_id)
                .order_by(RequirementLine.line_no)
            )
        )
        for line in lines:
            session.expunge(line)
        return lines


def input_data(app: Flask, requirement_id: uuid.UUID) -> dict[str, Any]:
    """The saved requirement as service input, to change and save again."""
    with service_session(app) as session:
        return services.input_of(session.get(Requirement, requirement_id))


def set_engagement_status(app: Flask, engagement_id: uuid.UUID, status: str) -> None:
    from baton.tenants import services as tenant_services
    from baton.tenants.models import Engagement

    with service_session(app) as session:
        tenant_services.set_engagement_status(
            session, session.get(Engagement, engagement_id), status
        )


def api_headers(app: Flask, org_id: uuid.UUID, role: str) -> dict[str, str]:
    from baton.tenants import services as tenant_services
    from baton.tenants.models import Organisation

    with service_session(app) as session:
        token, _row = tenant_services.create_api_token(
            session, session.get(Organisation, org_id), name="ERP", role=role, created_by=None
        )
    return {"Authorization": f"Bearer {token}"}


def submitted_for_globex(app: Flask, world: World) -> uuid.UUID:
    supplier = make_supplier(app, world, "globex")
    data = good_data(world, supplier)
    data["engagement_id"] = world.engagements["globex-north"]
    rid = create_draft(app, world, data, org="globex")
    submit(app, world, rid, org="globex")
    return rid
