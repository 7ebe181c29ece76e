"""What each role may do, per kind of organisation: the one table.

Views and API handlers name a capability (``@require(permission=
"requirement.write")``), never a role; a new role costs one line here.
"""

from __future__ import annotations

CLIENT, PROVIDER = "client", "provider"

# capability -> kind of organisation -> roles that hold it
PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "supplier.write": {CLIENT: ("admin", "sourcing")},
    "document.write": {CLIENT: ("admin", "sourcing")},
    "requirement.write": {CLIENT: ("admin", "sourcing")},
    # Claim, assign, start a review, accept and return a handoff.
    "requirement.review": {PROVIDER: ("admin", "buyer")},
    # Draft, submit, release, receive, close and cancel purchase orders.
    "po.write": {PROVIDER: ("admin", "buyer")},
    # Approve or reject orders and accept their exceptions.
    "po.approve": {CLIENT: ("admin", "approver")},
    # Raise, route, resolve and reopen order issues.
    "order_issue.work": {PROVIDER: ("admin", "buyer")},
    # Answer in an order issue's thread.
    "order_issue.reply": {CLIENT: ("admin", "approver", "sourcing"), PROVIDER: ("admin", "buyer")},
    "approval_policy.manage": {CLIENT: ("admin",)},
    # An engagement's business calendar and supplier-chaser settings.
    "engagement.manage": {PROVIDER: ("admin",)},
    "members.manage": {CLIENT: ("admin",), PROVIDER: ("admin",)},
    "tokens.manage": {CLIENT: ("admin",), PROVIDER: ("admin",)},
    "audit.read": {CLIENT: ("admin",), PROVIDER: ("admin",)},
    "jobs.manage": {CLIENT: ("admin",), PROVIDER: ("admin",)},
    # The provider's plan, statements and invoices with the platform; its
    # subscription (Stripe Checkout) and payment methods (Stripe's portal).
    "billing.manage": {PROVIDER: ("admin",)},
    # The client's share of its providers' metered usage.
    "usage.read": {CLIENT: ("admin",)},
}


def granted(kind: str | None, role: str | None) -> frozenset[str]:
    """The capabilities of ``role`` in an organisation of ``kind``."""
    if kind is None or role is None:
        return frozenset()
    return frozenset(name for name, by_kind in PERMISSIONS.items() if role in by_kind.get(kind, ()))


def holders(permission: str, kind: str) -> tuple[str, ...]:
    """The roles that hold ``permission`` in an organisation of ``kind``."""
    return PERMISSIONS[permission].get(kind, ())
