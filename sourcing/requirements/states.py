"""The requirement state machine: every allowed transition, in one table.

``services.transition`` is the only code that changes ``Requirement.status``;
it looks the action up here, refuses anything the table does not allow,
audits the change and emits the notification named in the table.
"""

from __future__ import annotations

from dataclasses import dataclass

CLIENT = "client"
PROVIDER = "provider"
SYSTEM = "system"

OPEN_STATUSES = ("draft", "submitted", "in_review", "returned", "accepted")
# A client may change the packet only while it is its own to change.
EDITABLE_STATUSES = ("draft", "returned")

STATUS_LABELS = {
    "draft": "Draft",
    "submitted": "Submitted",
    "in_review": "In review",
    "returned": "Returned",
    "accepted": "Accepted",
    "ordered": "Ordered",
    "closed": "Closed",
    "cancelled": "Cancelled",
}

# List filters that stand for several statuses: where the work is, as the client sees it.
STATUS_GROUPS = {"with_provider": ("submitted", "in_review")}
GROUP_LABELS = {"with_provider": "With the provider (submitted or in review)"}


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    # Which side of the handoff may take the action.
    side: str
    # The event emitted through the outbox (job ``requirements.notify``), if any.
    event: str | None
    verb: str


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("submit", ("draft", "returned"), "submitted", CLIENT, "submitted", "submitted"),
        Transition("start_review", ("submitted",), "in_review", PROVIDER, None, "reviewed"),
        Transition("accept", ("in_review",), "accepted", PROVIDER, "accepted", "accepted"),
        Transition(
            "return", ("submitted", "in_review"), "returned", PROVIDER, "returned", "returned"
        ),
        Transition("cancel", OPEN_STATUSES, "cancelled", CLIENT, "cancelled", "cancelled"),
        # Purchase orders (a later capability) move accepted requirements on.
        Transition("order", ("accepted",), "ordered", PROVIDER, None, "ordered"),
        Transition("close", ("ordered",), "closed", SYSTEM, None, "closed"),
    )
}


def allowed(action: str, status: str) -> bool:
    transition = TRANSITIONS.get(action)
    return transition is not None and status in transition.sources


def statuses_for(key: str) -> tuple[str, ...]:
    """The statuses a list filter means: a group's members, or the one status."""
    return STATUS_GROUPS.get(key, (key,))


def label(status: str) -> str:
    return STATUS_LABELS.get(status, status)
