"""The billing account's status: what Stripe's subscription says, moved only by
its webhook events (``webhooks``), each move audited in the provider's chain.

The states follow Stripe's subscription statuses closely enough to map each
one (``STRIPE_STATUS``): ``incomplete`` is a checkout whose first payment has
not gone through; ``past_due`` an unpaid invoice Stripe is still retrying;
``unpaid`` retries exhausted with the subscription kept open. A provider that
never subscribed is ``none`` and works without restriction.
"""

from __future__ import annotations

from baton.platform.workflow import Machine, Transition

BILLING_ACCOUNT = Machine(
    "billing_account",
    labels={
        "none": "No subscription",
        "incomplete": "Awaiting first payment",
        "active": "Active",
        "past_due": "Past due",
        "unpaid": "Unpaid",
        "canceled": "Canceled",
    },
    transitions=[
        Transition("subscribe", ("none", "incomplete", "canceled"), "active", verb="subscribed"),
        Transition("start", ("none", "canceled"), "incomplete", verb="started"),
        Transition("pay", ("incomplete", "past_due", "unpaid"), "active", verb="paid"),
        Transition("fall_behind", ("active", "incomplete"), "past_due", verb="past due"),
        Transition("lapse", ("active", "past_due"), "unpaid", verb="unpaid"),
        Transition(
            "cancel", ("incomplete", "active", "past_due", "unpaid"), "canceled", verb="canceled"
        ),
    ],
    groups={
        "subscribed": ("incomplete", "active", "past_due", "unpaid"),
        "behind": ("past_due", "unpaid"),
    },
)

# Stripe's subscription status -> ours. ``trialing`` is paid-up for our
# purposes; ``paused`` (a trial ended without a payment method) collects
# nothing, like ``unpaid``.
STRIPE_STATUS = {
    "incomplete": "incomplete",
    "incomplete_expired": "canceled",
    "trialing": "active",
    "active": "active",
    "past_due": "past_due",
    "unpaid": "unpaid",
    "paused": "unpaid",
    "canceled": "canceled",
}


def action_to(current: str, target: str) -> str | None:
    """The transition that leads from ``current`` to ``target``, if the table has one."""
    for action in BILLING_ACCOUNT.actions(current):
        if BILLING_ACCOUNT.transition(action).target == target:
            return action
    return None
