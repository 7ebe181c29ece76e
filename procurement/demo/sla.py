"""The demo's SLA figures: the rollup run once over the demo story.

The embedded mode (``make run``) has no scheduler firing the quarter-hourly
rollup, so the story's handoffs, orders and issues are measured here, right
after they are written; ``flask sla-rollup`` brings them up to date later.
"""

from __future__ import annotations

import sqlalchemy as sa

from baton.platform.db import db, utcnow
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.procurement.demo.people import ACME, GLOBEX
from baton.procurement.sla import rollup


def roll_up() -> bool:
    """Measure the demo clients' work (the cross-tenant rollup, as its job runs it)."""
    from baton.tenants.models import Organisation

    session = db.new_service_session(SERVICE_CONTEXT)
    try:
        ids = set(
            session.scalars(sa.select(Organisation.id).where(Organisation.name.in_((ACME, GLOBEX))))
        )
        if ids:
            rollup.run(session, utcnow(), tenant_ids=ids)
            session.commit()
    finally:
        session.close()
    # The figures are derived, not demo data of their own: nothing "added".
    return False
