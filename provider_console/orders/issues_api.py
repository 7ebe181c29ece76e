"""Order issues for integrations. A provider token raises, routes, answers and
resolves issues; a client token reads the issues of its orders and answers
those routed to the client. An ``Idempotency-Key`` header makes a retried POST
change nothing the second time (409). Bad input answers 422 naming the field."""

from __future__ import annotations

import uuid

from flask import request

from baton.platform.api import ApiBlueprint, token_required
from baton.platform.auth import identity
from baton.platform.web import dbs
from baton.procurement.orders import issue_queries, issues, queries
from baton.procurement.orders.issue_models import POIssue
from baton.procurement.orders.issue_presenters import represent_issue
from baton.procurement.orders.issue_schemas import (
    IssueOutSchema,
    IssuePageSchema,
    IssueQuerySchema,
    MessageInSchema,
    RaiseIssueSchema,
    ResolveSchema,
    RouteSchema,
)
from baton.procurement.orders.models import PurchaseOrder

blp = ApiBlueprint(
    "api_order_issues",
    __name__,
    description="Order issues",
    ids={
        "po_id": "the purchase order's id, from GET /purchase-orders",
        "issue_id": "the issue's id, from GET /purchase-orders/{po_id}/issues or GET /issues",
    },
)

IDEMPOTENCY = [
    {
        "in": "header",
        "name": "Idempotency-Key",
        "required": False,
        "schema": {"type": "string", "maxLength": 64},
        "description": "any unique text; the same key sent again changes nothing (409)",
    }
]


def _org_id() -> uuid.UUID:
    return identity().organisation.id


def _provider() -> bool:
    return identity().kind == "provider"


def _order(po_id: uuid.UUID) -> PurchaseOrder:
    if _provider():
        return queries.get_for_provider(dbs(), _org_id(), po_id)
    return queries.get_for_client(dbs(), _org_id(), po_id)


def _issue(po_id: uuid.UUID, issue_id: uuid.UUID) -> tuple[PurchaseOrder, POIssue]:
    po = _order(po_id)
    return po, issue_queries.get_on_order(dbs(), po, issue_id)


def _with_key(data: dict) -> dict:
    return data | {"form_key": request.headers.get("Idempotency-Key", "")}


def _one(issue: POIssue, po: PurchaseOrder | None = None):
    session = dbs()
    thread = issue_queries.threads(session, [issue])
    return represent_issue(session, issue, po, thread)


@blp.get("/issues")
@token_required()
@blp.arguments(IssueQuerySchema, location="query")
@blp.response(200, IssuePageSchema)
@blp.doc(summary="Order issues across orders, most recently changed first")
def list_issues(args):
    session = dbs()
    if _provider():
        where = issue_queries.provider_scope(session, _org_id())
    else:
        where = [*issue_queries.client_scope(_org_id()), POIssue.routed_to == "client"]
    found, has_next = issue_queries.list_issues(
        session, where, status=args.get("status"), waiting=args.get("waiting"), page=args["page"]
    )
    orders = issue_queries.orders_by_id(session, found)
    return {
        "page": args["page"],
        "has_next": has_next,
        "items": [represent_issue(session, i, orders.get(i.po_id), None) for i in found],
    }


@blp.get("/purchase-orders/<uuid:po_id>/issues")
@token_required()
@blp.response(200, IssuePageSchema)
@blp.doc(summary="The issues of one order, in the order they were raised")
def order_issues(po_id: uuid.UUID):
    session = dbs()
    po = _order(po_id)
    found = issue_queries.issues_of(session, po)
    return {
        "page": 1,
        "has_next": False,
        "items": [represent_issue(session, i, po, None) for i in found],
    }


@blp.post("/purchase-orders/<uuid:po_id>/issues")
@token_required(kind="provider", permission="order_issue.work")
@blp.arguments(RaiseIssueSchema)
@blp.response(201, IssueOutSchema)
@blp.doc(
    summary="Raise an issue on an order or one of its lines, with its first message",
    parameters=IDEMPOTENCY,
)
def raise_issue(data, po_id: uuid.UUID):
    issue = issues.raise_issue(dbs(), _org_id(), None, po_id, _with_key(data))
    return _one(issue), 201


@blp.get("/purchase-orders/<uuid:po_id>/issues/<uuid:issue_id>")
@token_required()
@blp.response(200, IssueOutSchema)
@blp.doc(summary="One issue with its thread")
def read_issue(po_id: uuid.UUID, issue_id: uuid.UUID):
    po, issue = _issue(po_id, issue_id)
    return _one(issue, po)


@blp.post("/purchase-orders/<uuid:po_id>/issues/<uuid:issue_id>/messages")
@token_required(permission="order_issue.reply")
@blp.arguments(MessageInSchema)
@blp.response(200, IssueOutSchema)
@blp.doc(
    summary="Answer in the thread; a client's answer hands the issue back to the buyer",
    parameters=IDEMPOTENCY,
)
def add_message(data, po_id: uuid.UUID, issue_id: uuid.UUID):
    po, issue = _issue(po_id, issue_id)
    if _provider():
        issue = issues.reply_as_provider(dbs(), _org_id(), None, issue.id, _with_key(data))
    else:
        issue = issues.reply_as_client(dbs(), _org_id(), None, issue.id, _with_key(data))
    return _one(issue, po)


@blp.post("/purchase-orders/<uuid:po_id>/issues/<uuid:issue_id>/route")
@token_required(kind="provider", permission="order_issue.work")
@blp.arguments(RouteSchema)
@blp.response(200, IssueOutSchema)
@blp.doc(
    summary="Route the issue to the client for a decision or to the supplier (emailed its link)",
    parameters=IDEMPOTENCY,
)
def route_issue(data, po_id: uuid.UUID, issue_id: uuid.UUID):
    po, issue = _issue(po_id, issue_id)
    return _one(issues.route(dbs(), _org_id(), None, issue.id, _with_key(data)), po)


@blp.post("/purchase-orders/<uuid:po_id>/issues/<uuid:issue_id>/resolve")
@token_required(kind="provider", permission="order_issue.work")
@blp.arguments(ResolveSchema)
@blp.response(200, IssueOutSchema)
@blp.doc(summary="Resolve the issue with a note saying how")
def resolve_issue(data, po_id: uuid.UUID, issue_id: uuid.UUID):
    po, issue = _issue(po_id, issue_id)
    return _one(issues.resolve(dbs(), _org_id(), None, issue.id, data["note"]), po)
