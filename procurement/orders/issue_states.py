"""The order-issue state machine: every allowed move and whom the clock waits on.

``ORDER_ISSUE.apply`` is the only code that changes ``POIssue.status``. The
SLA clocks read ``waiting_on`` back from the audit trail: while an issue waits
on the client or the supplier, that party's time stops the provider's clock.
"""

from __future__ import annotations

from baton.platform.workflow import CLIENT, PROVIDER, SUPPLIER, Machine, Transition

UNRESOLVED = ("open", "with_client", "with_supplier", "answered")

ORDER_ISSUE = Machine(
    "order_issue",
    labels={
        "open": "Open",
        "with_client": "Waiting on the client",
        "with_supplier": "Waiting on the supplier",
        "answered": "Answered",
        "resolved": "Resolved",
    },
    transitions=[
        Transition(
            "route_to_client",
            ("open", "answered", "with_supplier"),
            "with_client",
            side=PROVIDER,
            event="routed_to_client",
            waits_on=CLIENT,
            verb="routed to the client",
        ),
        Transition(
            "route_to_supplier",
            ("open", "answered", "with_client"),
            "with_supplier",
            side=PROVIDER,
            event="routed_to_supplier",
            waits_on=SUPPLIER,
            verb="routed to the supplier",
        ),
        Transition(
            "client_answer",
            ("with_client",),
            "answered",
            side=CLIENT,
            event="answered",
            waits_on=PROVIDER,
            verb="answered",
        ),
        Transition(
            "supplier_answer",
            ("with_supplier",),
            "answered",
            side=SUPPLIER,
            event="answered",
            waits_on=PROVIDER,
            verb="answered",
        ),
        Transition(
            "resolve", UNRESOLVED, "resolved", side=PROVIDER, waits_on=None, verb="resolved"
        ),
        Transition(
            "reopen", ("resolved",), "open", side=PROVIDER, waits_on=PROVIDER, verb="reopened"
        ),
    ],
    groups={"unresolved": UNRESOLVED, "routable": ("open", "answered")},
    filters={"unresolved": "Not resolved"},
    publishes=True,
)
