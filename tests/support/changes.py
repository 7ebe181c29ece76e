"""Change orders for tests: start one on a released order, submit, release."""

from __future__ import annotations

import io
import uuid

import sqlalchemy as sa
from flask import Flask

from baton.procurement.orders import change_approvals, change_orders, change_release, links
from baton.procurement.orders.change_models import POChangeOrder
from tests.support import requirements as h
from tests.support.world import World


def start(app: Flask, world: World, po_id: uuid.UUID, lines=None, **kw) -> uuid.UUID:
    edits = {"lines": lines or []} | kw.pop("edits", {})
    with h.as_provider(app, world) as (session, user_id):
        return change_orders.start(
            session,
            world.orgs["north"],
            user_id,
            po_id,
            cause=kw.pop("cause", "client_change"),
            reason=kw.pop("reason", "The client needs more"),
            edits=edits,
            **kw,
        ).id


def submit(app: Flask, world: World, po_id: uuid.UUID, change_id: uuid.UUID) -> str:
    with h.as_provider(app, world) as (session, user_id):
        return change_approvals.submit(
            session, world.orgs["north"], user_id, po_id, change_id
        ).status


def approve(app, world, po_id, change_id, who="acme_approver", **kw) -> str:
    with h.as_client(app, world, who=who) as (session, user_id):
        return change_approvals.decide(
            session, world.orgs["acme"], user_id, po_id, change_id, approve=True, **kw
        ).status


def release(app: Flask, world: World, po_id: uuid.UUID, change_id: uuid.UUID) -> None:
    with h.as_provider(app, world) as (session, _):
        change_release.release(session, world.orgs["north"], po_id, change_id)


def load(app: Flask, change_id: uuid.UUID) -> POChangeOrder:
    with h.service_session(app) as session:
        change = session.scalar(sa.select(POChangeOrder).where(POChangeOrder.id == change_id))
        session.expunge_all()
        return change


def token(app: Flask, po_id: uuid.UUID) -> str:
    with h.service_session(app) as session, app.test_request_context():
        return links.token_for(session.get(links.PurchaseOrder, po_id))


def revise_spec(app: Flask, world: World, revision_id: uuid.UUID) -> uuid.UUID:
    """Revision n+1 of the document ``revision_id`` belongs to, as the client adds it."""
    from baton.platform.storage import get_store
    from baton.sourcing.documents import services as documents
    from baton.sourcing.documents.models import DocumentRevision

    with h.service_session(app) as session:
        document_id = session.get(DocumentRevision, revision_id).document_id
    with h.as_client(app, world) as (session, user_id):
        return documents.add_revision(
            session,
            get_store(),
            world.orgs["acme"],
            document_id,
            stream=io.BytesIO(b"%PDF-1.4 bracket specification, revision 2"),
            filename="bracket-r2.pdf",
            max_bytes=1_000_000,
            note="Thicker plating",
            uploaded_by_id=user_id,
        ).id
