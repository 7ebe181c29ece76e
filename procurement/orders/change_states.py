"""The change-order machine: drafted by the buyer, approved by the client when
the change is material, released as the order's next revision.

A rejected change goes back to the buyer as a draft (as a rejected order
does), so the work is kept; a withdrawn one is finished. While a change order
is open the order's revision in force is unchanged for the supplier and for
receipts.
"""

from __future__ import annotations

from baton.platform.workflow import CLIENT, PROVIDER, SUPPLIER, Machine, Transition

OPEN = ("draft", "pending_approval", "approved")

CHANGE_ORDER = Machine(
    "change_order",
    labels={
        "draft": "Draft",
        "pending_approval": "Awaiting the client's approval",
        "approved": "Approved, ready to release",
        "released": "Released",
        "withdrawn": "Withdrawn",
    },
    transitions=[
        Transition(
            "submit",
            ("draft",),
            "pending_approval",
            side=PROVIDER,
            event="submitted",
            waits_on=CLIENT,
            verb="submitted for approval",
        ),
        # Not material under the client's policy: no approval needed.
        Transition(
            "approve_on_submit",
            ("draft",),
            "approved",
            side=PROVIDER,
            waits_on=PROVIDER,
            verb="submitted",
        ),
        Transition(
            "approve",
            ("pending_approval",),
            "approved",
            side=CLIENT,
            event="approved",
            waits_on=PROVIDER,
            verb="approved",
        ),
        Transition(
            "reject",
            ("pending_approval",),
            "draft",
            side=CLIENT,
            event="rejected",
            waits_on=PROVIDER,
            verb="rejected",
        ),
        Transition(
            "release",
            ("approved",),
            "released",
            side=PROVIDER,
            waits_on=SUPPLIER,
            verb="released",
        ),
        Transition("withdraw", OPEN, "withdrawn", side=PROVIDER, verb="withdrawn"),
    ],
    groups={
        "open": OPEN,
        "editable": ("draft",),
        "finished": ("released", "withdrawn"),
    },
    publishes=True,
)
