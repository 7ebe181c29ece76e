"""The provider's subscription: its status, setting it up through Stripe
Checkout, managing payment in Stripe's portal. (A section of the billing
page, ``_subscription.html``; until the page exists, a small page of its own.)"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from baton.platform.auth import identity, require
from baton.platform.errors import ServiceError
from baton.platform.pages import refused
from baton.platform.stripe_client import pushing_enabled
from baton.platform.web import dbs
from baton.tenants.billing import subscriptions
from baton.tenants.billing.standing import billing_standing

bp = Blueprint("provider_subscription", __name__, url_prefix="/provider/billing/subscription")

# The payment actions stay open when the console is read-only (setup.py).
PAYMENT_ENDPOINTS = frozenset({"provider_subscription.checkout", "provider_subscription.portal"})


def _back() -> str:
    return url_for("provider_subscription.index", _external=True)


@bp.get("/")
@require(kind="provider", permission="billing.manage")
def index():
    provider_id = identity().organisation.id
    return render_template(
        "provider/billing/subscription.html",
        account=subscriptions.account_of(dbs(), provider_id),
        standing=billing_standing(dbs(), provider_id),
        stripe_enabled=pushing_enabled(),
    )


@bp.post("/checkout")
@require(kind="provider", permission="billing.manage")
def checkout():
    try:
        url = subscriptions.start_checkout(
            dbs(), identity().organisation.id, success_url=_back(), cancel_url=_back()
        )
    except ServiceError as exc:
        return refused(exc, url_for("provider_subscription.index"))
    return redirect(url, code=303)


@bp.post("/portal")
@require(kind="provider", permission="billing.manage")
def portal():
    try:
        url = subscriptions.portal_url(dbs(), identity().organisation.id, return_url=_back())
    except ServiceError as exc:
        return refused(exc, url_for("provider_subscription.index"))
    return redirect(url, code=303)
