"""The provider's subscription: setting it up through Stripe Checkout and
managing payment in Stripe's portal. Its status and the two buttons are a
section of the billing page (``provider/billing/_subscription.html``)."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for

from baton.platform.auth import identity, require
from baton.platform.errors import ServiceError
from baton.platform.pages import refused
from baton.platform.web import dbs
from baton.tenants.billing import subscriptions

bp = Blueprint("provider_subscription", __name__, url_prefix="/provider/billing/subscription")

# The payment actions stay open when the console is read-only (setup.py).
PAYMENT_ENDPOINTS = frozenset({"provider_subscription.checkout", "provider_subscription.portal"})


def _back() -> str:
    return url_for("provider_billing.index", _external=True)


@bp.post("/checkout")
@require(kind="provider", permission="billing.manage")
def checkout():
    try:
        url = subscriptions.start_checkout(
            dbs(), identity().organisation.id, success_url=_back(), cancel_url=_back()
        )
    except ServiceError as exc:
        return refused(exc, url_for("provider_billing.index"))
    return redirect(url, code=303)


@bp.post("/portal")
@require(kind="provider", permission="billing.manage")
def portal():
    try:
        url = subscriptions.portal_url(dbs(), identity().organisation.id, return_url=_back())
    except ServiceError as exc:
        return refused(exc, url_for("provider_billing.index"))
    return redirect(url, code=303)
