"""The client's side of change orders: approve or reject one, download any
released revision of an order."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, request, url_for

from baton.client_portal.orders.views import _page
from baton.platform.auth import identity, require
from baton.platform.errors import ServiceError, ValidationFailed
from baton.platform.pages import refused
from baton.platform.web import dbs, refuse
from baton.procurement.orders import change_approvals, queries, revisions
from baton.sourcing.documents.downloads import revision_response

bp = Blueprint("client_changes", __name__, url_prefix="/client/orders")


def _tenant_id() -> uuid.UUID:
    return identity().organisation.id


def _decide(po_id: uuid.UUID, change_id: uuid.UUID, approve: bool):
    try:
        change = change_approvals.decide(
            dbs(),
            _tenant_id(),
            identity().user.id,
            po_id,
            change_id,
            approve=approve,
            comment=request.form.get("comment"),
            accept_exceptions=bool(request.form.get("accept_exceptions")),
        )
    except ValidationFailed as exc:
        refuse()
        return _page(
            queries.get_for_client(dbs(), _tenant_id(), po_id), errors=exc.errors, status=422
        )
    except ServiceError as exc:
        return refused(exc, url_for("client_orders.detail", po_id=po_id))
    if not approve:
        flash(f"Change order {change.number} rejected; the buyer has it back.", "success")
    elif change.status == "approved":
        flash(f"Change order {change.number} approved; the buyer can release it.", "success")
    else:
        flash(
            f"Your approval of change order {change.number} is recorded; it needs another approver.",
            "success",
        )
    return redirect(url_for("client_orders.inbox"))


@bp.post("/<uuid:po_id>/changes/<uuid:change_id>/approve")
@require(kind="client", permission="po.approve")
def approve(po_id: uuid.UUID, change_id: uuid.UUID):
    return _decide(po_id, change_id, True)


@bp.post("/<uuid:po_id>/changes/<uuid:change_id>/reject")
@require(kind="client", permission="po.approve")
def reject(po_id: uuid.UUID, change_id: uuid.UUID):
    return _decide(po_id, change_id, False)


@bp.get("/<uuid:po_id>/revisions/<int:revision>/pdf")
@require(kind="client")
def revision_pdf(po_id: uuid.UUID, revision: int):
    po = queries.get_for_client(dbs(), _tenant_id(), po_id)
    row = revisions.revision_of(dbs(), po, revision)
    return revision_response(revisions.pdf_of(dbs(), po, row))
