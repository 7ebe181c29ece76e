"""The client's side of purchase orders: approvals, the open-orders list, the policy."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for

from baton.platform.auth import identity, require
from baton.platform.errors import ServiceError, ValidationFailed
from baton.platform.pages import refused
from baton.platform.web import dbs, refuse
from baton.procurement.orders import (
    approvals,
    change_approvals,
    change_overview,
    open_orders,
    overview,
    policy,
    queries,
)
from baton.procurement.orders.models import PurchaseOrder

bp = Blueprint("client_orders", __name__, url_prefix="/client")


def _tenant_id() -> uuid.UUID:
    return identity().organisation.id


def _user_id() -> uuid.UUID:
    return identity().user.id


@bp.get("/orders")
@require(kind="client")
def index():
    session = dbs()
    listed = open_orders.listing(
        session,
        [PurchaseOrder.tenant_id == _tenant_id(), PurchaseOrder.submitted_at.is_not(None)],
        request.args,
    )
    return render_template(
        "client/orders/index.html",
        **listed,
        providers=overview.organisation_names(session, {po.provider_id for po in listed["orders"]}),
    )


@bp.get("/approvals")
@require(kind="client")
def inbox():
    user = identity().user
    may = identity().can("po.approve")
    waiting = approvals.inbox(dbs(), _tenant_id(), user.id) if may else []
    changes = change_approvals.inbox(dbs(), _tenant_id(), user.id) if may else []
    return render_template(
        "client/orders/inbox.html",
        orders=waiting,
        changes=changes,
        change_orders=queries.orders_by_id(dbs(), _tenant_id(), {c.po_id for c in changes}),
        providers=overview.organisation_names(
            dbs(), {po.provider_id for po in waiting} | {c.provider_id for c in changes}
        ),
        can_approve=identity().can("po.approve"),
    )


def _page(po, *, errors=None, status=200):
    session = dbs()
    context = overview.detail(session, po)
    return render_template(
        "client/orders/detail.html",
        **context,
        **change_overview.detail(session, po),
        snapshots=overview.snapshots_for(session, po),
        errors=errors or {},
        can_decide=identity().can("po.approve") and po.status == "pending_approval",
        can_approve=identity().can("po.approve"),
        me=_user_id(),
        form=request.form if request.method == "POST" else {},
    ), status


@bp.get("/orders/<uuid:po_id>")
@require(kind="client")
def detail(po_id: uuid.UUID):
    return _page(queries.get_for_client(dbs(), _tenant_id(), po_id))


def _decide(po_id: uuid.UUID, approve: bool):
    try:
        po = approvals.decide(
            dbs(),
            _tenant_id(),
            _user_id(),
            po_id,
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
        return refused(exc, url_for(".detail", po_id=po_id))
    if not approve:
        flash(f"{po.number} rejected; the buyer has it back as a draft.", "success")
    elif po.status == "approved":
        flash(f"{po.number} approved; the buyer can release it.", "success")
    else:
        flash(f"Your approval of {po.number} is recorded; it needs another approver.", "success")
    return redirect(url_for(".inbox"))


@bp.post("/orders/<uuid:po_id>/approve")
@require(kind="client", permission="po.approve")
def approve(po_id: uuid.UUID):
    return _decide(po_id, True)


@bp.post("/orders/<uuid:po_id>/reject")
@require(kind="client", permission="po.approve")
def reject(po_id: uuid.UUID):
    return _decide(po_id, False)


@bp.get("/approval-policy")
@require(kind="client")
def approval_policy():
    return render_template(
        "client/orders/policy.html",
        policy=policy.policy_for(dbs(), _tenant_id()),
        errors={},
        form={},
        can_edit=identity().can("approval_policy.manage"),
    )


@bp.post("/approval-policy")
@require(kind="client", permission="approval_policy.manage")
def save_policy():
    try:
        policy.update_policy(dbs(), _tenant_id(), request.form.to_dict())
    except ValidationFailed as exc:
        refuse()
        return render_template(
            "client/orders/policy.html",
            policy=policy.policy_for(dbs(), _tenant_id()),
            errors=exc.errors,
            form=request.form,
            can_edit=True,
        ), 422
    flash("Approval policy saved.", "success")
    return redirect(url_for(".approval_policy"))
