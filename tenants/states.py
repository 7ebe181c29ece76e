"""The engagement state machine: how a provider's engagement by a client moves.

The actions are named after the state they lead to, so the audit log reads
``engagement.suspended`` / ``engagement.ended`` / ``engagement.active``.
"""

from __future__ import annotations

from baton.platform.workflow import Machine, Transition

ENGAGEMENT = Machine(
    "engagement",
    labels={"active": "Active", "suspended": "Suspended", "ended": "Ended"},
    transitions=[
        Transition("suspended", ("active",), "suspended", verb="suspended"),
        Transition("ended", ("active", "suspended"), "ended", verb="ended"),
        # An operator may resume a suspended engagement or renew an ended one.
        Transition("active", ("suspended", "ended"), "active", verb="reactivated"),
    ],
    groups={"working": ("active",)},
)
