"""The requirement state machine: every allowed transition and status group, in one table.

``REQUIREMENT.apply`` (through ``handoff.transition``) is the only code that
changes ``Requirement.status``; the groups beside the table are what lists,
queues and templates ask for.
"""

from __future__ import annotations

from baton.platform.workflow import CLIENT, PROVIDER, SYSTEM, Machine, Transition

OPEN = ("draft", "submitted", "in_review", "returned", "accepted")

REQUIREMENT = Machine(
    "requirement",
    labels={
        "draft": "Draft",
        "submitted": "Submitted",
        "in_review": "In review",
        "returned": "Returned",
        "accepted": "Accepted",
        "ordered": "Ordered",
        "closed": "Closed",
        "cancelled": "Cancelled",
    },
    transitions=[
        Transition(
            "submit",
            ("draft", "returned"),
            "submitted",
            side=CLIENT,
            event="submitted",
            waits_on=PROVIDER,
            verb="submitted",
        ),
        Transition(
            "start_review",
            ("submitted",),
            "in_review",
            side=PROVIDER,
            waits_on=PROVIDER,
            verb="reviewed",
        ),
        Transition(
            "accept",
            ("in_review",),
            "accepted",
            side=PROVIDER,
            event="accepted",
            # Accepted: the provider owes the purchase orders.
            waits_on=PROVIDER,
            verb="accepted",
        ),
        Transition(
            "return",
            ("submitted", "in_review"),
            "returned",
            side=PROVIDER,
            event="returned",
            waits_on=CLIENT,
            verb="returned",
        ),
        Transition("cancel", OPEN, "cancelled", side=CLIENT, event="cancelled", verb="cancelled"),
        # Purchase orders move accepted requirements on; their own clocks take over.
        Transition("order", ("accepted",), "ordered", side=PROVIDER, verb="ordered"),
        Transition("close", ("ordered",), "closed", side=SYSTEM, verb="closed"),
        # An order line removed or cancelled: quantity is to order again.
        Transition("reopen", ("ordered",), "accepted", side=PROVIDER, verb="reopened"),
    ],
    groups={
        "open": OPEN,
        # A client may change the packet only while it is its own to change.
        "editable": ("draft", "returned"),
        # What the provider's queue holds: handed off and not yet ordered.
        "queue": ("submitted", "in_review", "returned", "accepted"),
        # Where the work is, as the client's list filters it.
        "with_provider": ("submitted", "in_review"),
        # Decided: the packet is no longer handed off or judged, so pages say so
        # instead of "Ready to hand off" and show no due-for-release time.
        "settled": ("accepted", "ordered", "closed", "cancelled"),
    },
    filters={"with_provider": "With the provider (submitted or in review)"},
    publishes=True,
)

# Where the provider's handoff clock runs (its due time counts): read from the table.
ON_PROVIDER_CLOCK = REQUIREMENT.waiting_on(PROVIDER)
QUEUE = REQUIREMENT.group("queue")
