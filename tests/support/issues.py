"""Order issues for tests: one raised on a released order, routed on."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import Flask

from baton.platform.audit import AuditEvent
from baton.procurement.orders import issues
from baton.procurement.orders.issue_models import POIssue, POIssueMessage
from tests.support import orders as o
from tests.support import requirements as h
from tests.support.world import World


def raised(app: Flask, world: World, po_id: uuid.UUID | None = None, **data) -> uuid.UUID:
    po_id = po_id or o.released(app, world)
    fields = {"cause": "date", "title": "Cannot ship before March", "message": "Kessler says late."}
    with h.as_provider(app, world) as (session, user_id):
        return issues.raise_issue(session, world.orgs["north"], user_id, po_id, fields | data).id


def route(
    app: Flask, world: World, issue_id: uuid.UUID, to: str, message: str = "Please decide."
) -> None:
    with h.as_provider(app, world) as (session, user_id):
        issues.route(
            session, world.orgs["north"], user_id, issue_id, {"to": to, "message": message}
        )


def load(app: Flask, issue_id: uuid.UUID) -> POIssue:
    with h.service_session(app) as session:
        issue = session.get(POIssue, issue_id)
        session.expunge_all()
        return issue


def messages(app: Flask, issue_id: uuid.UUID) -> list[POIssueMessage]:
    with h.service_session(app) as session:
        rows = list(
            session.scalars(
                sa.select(POIssueMessage)
                .where(POIssueMessage.issue_id == issue_id)
                .order_by(POIssueMessage.created_at)
            )
        )
        session.expunge_all()
        return rows


def events(app: Flask, issue_id: uuid.UUID) -> list[AuditEvent]:
    with h.service_session(app) as session:
        rows = list(
            session.scalars(
                sa.select(AuditEvent)
                .where(
                    AuditEvent.entity_type == "order_issue", AuditEvent.entity_id == str(issue_id)
                )
                .order_by(AuditEvent.seq)
            )
        )
        session.expunge_all()
        return rows
