"""The provider console's billing hooks: the past-due banner on every page, and
the read-only console once the grace period is over.

Read-only refuses every state-changing request (POST, PUT, PATCH, DELETE) made
for a provider organisation, by a signed-in person or an API token, with 402
Payment Required (a page, or problem JSON on the API), except the payment
actions and signing out or switching organisation. GETs keep working, and so
do suppliers' links and clients' portals, which are not the provider acting.
"""

from __future__ import annotations

from flask import Flask, render_template, request
from markupsafe import Markup

from baton.platform import formatting
from baton.platform.auth import identity
from baton.platform.pages import add_banner, error_response
from baton.platform.web import dbs
from baton.provider_console.billing.subscription_views import PAYMENT_ENDPOINTS
from baton.tenants.billing.standing import billing_standing

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ALWAYS_OPEN = PAYMENT_ENDPOINTS | {"auth.logout", "auth.switch_organisation"}
READ_ONLY = (
    "Your organisation's Baton subscription has been past due since {since} and the grace"
    " period ended on {ends}, so the console is read-only: nothing can be changed until"
    " payment is made. Nothing has been deleted. An admin can pay under Billing"
    " (Manage payment)."
)


def _provider():
    ident = identity()
    return ident.organisation if ident.kind == "provider" else None


def refuse_writes_when_read_only():
    if request.method in SAFE_METHODS or request.endpoint in ALWAYS_OPEN:
        return None
    org = _provider()
    if org is None:
        return None
    standing = billing_standing(dbs(), org.id)
    if not standing.read_only:
        return None
    return error_response(
        402,
        READ_ONLY.format(
            since=_day(org, standing.past_due_since), ends=_day(org, standing.grace_ends_at)
        ),
    )


def _day(org, value) -> str:
    """The day in the organisation's own time zone."""
    return formatting.day(value.astimezone(formatting.zone(org.timezone)), org.locale)


def past_due_banner() -> Markup | None:
    org = _provider()
    if org is None or not identity().can("billing.manage"):
        return None
    standing = billing_standing(dbs(), org.id)
    if not standing.behind:
        return None
    html = render_template("provider/billing/_past_due_banner.html", standing=standing)
    return Markup(html)  # noqa: S704 (rendered by an autoescaping template)


def init_app(app: Flask) -> None:
    # After the platform's own hook, which resolves who is asking.
    app.before_request(refuse_writes_when_read_only)
    add_banner(app, past_due_banner)
