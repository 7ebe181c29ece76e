"""The purchase-order state machine: every allowed move, whose turn it is after it.

``PURCHASE_ORDER.apply`` is the only code that changes ``PurchaseOrder.status``.
``waits_on`` records whom the clock waits on in each state (the SLA clocks
read it back from the audit trail): the client while it approves, the supplier
while an order is released and not yet answered or delivered.
"""

from __future__ import annotations

from baton.platform.workflow import CLIENT, PROVIDER, SUPPLIER, Machine, Transition

BEFORE_RECEIPT = ("draft", "pending_approval", "approved", "released", "acknowledged")
RECEIVABLE = ("released", "acknowledged", "partially_received")

PURCHASE_ORDER = Machine(
    "purchase_order",
    labels={
        "draft": "Draft",
        "pending_approval": "Awaiting approval",
        "approved": "Approved",
        "released": "Released",
        "acknowledged": "Acknowledged",
        "partially_received": "Partially received",
        "received": "Received",
        "closed": "Closed",
        "cancelled": "Cancelled",
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
        # Below the client's first threshold, with nothing to accept: approved at once.
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
            "recall",
            ("pending_approval",),
            "draft",
            side=PROVIDER,
            waits_on=PROVIDER,
            verb="recalled",
        ),
        Transition(
            "release",
            ("approved",),
            "released",
            side=PROVIDER,
            # No event: the supplier's email is a job of its own (release.SEND_PO).
            waits_on=SUPPLIER,
            verb="released",
        ),
        # From the supplier's link, or entered by a buyer who heard by phone or email.
        Transition(
            "acknowledge",
            ("released",),
            "acknowledged",
            event="acknowledged",
            waits_on=SUPPLIER,
            verb="acknowledged",
        ),
        Transition(
            "receive_part",
            RECEIVABLE,
            "partially_received",
            side=PROVIDER,
            waits_on=SUPPLIER,
            verb="received",
        ),
        Transition(
            "receive_all",
            RECEIVABLE,
            "received",
            side=PROVIDER,
            waits_on=PROVIDER,
            verb="received",
        ),
        # A change order's revision n+1 replaces the one in force: the supplier
        # answers it anew (receipts so far stay on the lines).
        Transition(
            "revise",
            RECEIVABLE,
            "released",
            side=PROVIDER,
            waits_on=SUPPLIER,
            verb="changed",
        ),
        Transition("close", ("received",), "closed", side=PROVIDER, verb="closed"),
        Transition(
            "cancel",
            BEFORE_RECEIPT,
            "cancelled",
            side=PROVIDER,
            verb="cancelled",
        ),
    ],
    groups={
        # The buyer may still change the order's lines and header.
        "editable": ("draft",),
        "open": BEFORE_RECEIPT + ("partially_received", "received"),
        "released": ("released", "acknowledged", "partially_received", "received", "closed"),
        # The supplier's link shows these; a draft or an unreleased order never.
        "supplier_visible": (
            "released",
            "acknowledged",
            "partially_received",
            "received",
            "closed",
            "cancelled",
        ),
        "receivable": RECEIVABLE,
        # With the supplier: chased while unacknowledged or late (orders/follow_up.py).
        "followed_up": RECEIVABLE,
        # A supplier may announce a shipment until everything has been received.
        "shippable": RECEIVABLE,
        # A change order may be started, and released, in these.
        "changeable": RECEIVABLE,
        "finished": ("closed", "cancelled"),
    },
    filters={
        "open": "Open (not closed or cancelled)",
        "receivable": "Awaiting delivery (released, not fully received)",
        "finished": "Finished (closed or cancelled)",
    },
    publishes=True,
)
