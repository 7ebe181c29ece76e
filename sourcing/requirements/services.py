"""The sourcing side's requirement services, in one namespace for callers.

Reading lives in ``queries``, drafts in ``drafts``, status changes (submit,
cancel, and the one ``transition`` every change goes through) in
``handoff``. The provider's side (review, accept, return, claim) is the
procurement area's ``baton.procurement.handoff.review``.
"""

from __future__ import annotations

from baton.sourcing.requirements.drafts import (
    HEADER_FIELDS,
    LINE_FIELDS,
    MAX_LINES,
    Lookups,
    input_of,
    save_draft,
)
from baton.sourcing.requirements.handoff import cancel, submit, transition
from baton.sourcing.requirements.queries import (
    active_engagements,
    available_actions,
    compare_snapshot,
    current_snapshot,
    get_for_client,
    get_snapshot,
    list_for_client,
    live_facts,
    live_readiness,
    open_return,
    outdated_specs,
    preview_readiness,
    readiness_for,
    reviews_of,
    snapshot_readiness,
    snapshots_of,
    spec_info,
    spec_revisions,
    supplier_of,
)

__all__ = [
    "HEADER_FIELDS",
    "LINE_FIELDS",
    "MAX_LINES",
    "Lookups",
    "active_engagements",
    "available_actions",
    "cancel",
    "compare_snapshot",
    "current_snapshot",
    "get_for_client",
    "get_snapshot",
    "input_of",
    "list_for_client",
    "live_facts",
    "live_readiness",
    "open_return",
    "outdated_specs",
    "preview_readiness",
    "readiness_for",
    "reviews_of",
    "save_draft",
    "snapshot_readiness",
    "snapshots_of",
    "spec_info",
    "spec_revisions",
    "submit",
    "supplier_of",
    "transition",
]
