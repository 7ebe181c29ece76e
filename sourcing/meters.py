"""The sourcing area's billable act: a provider accepting a client's handoff."""

from baton.platform.metering import Meter
from baton.sourcing.requirements.models import Requirement

METERS = [
    # Accepted once: an accepted requirement is never reviewed again.
    Meter(
        "requirement.accept",
        "requirement_accepted",
        Requirement,
        key=lambda r: f"requirement_accepted:{r.id}",
    ),
]
