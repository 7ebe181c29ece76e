"""The demo's handoff story: suppliers, specifications and requirements in every state.

Everything is made through the real services, acting as the demo people in
their own organisation's tenant context, as their requests would: audit
events carry their names, submissions freeze snapshots, uploads go to the
configured document store (``instance/documents/`` in the embedded mode) and
notification emails are sent by the jobs once the data is committed. Dates
are relative to today, so the demo reads the same whenever it is seeded.

The story is one transaction: if any step fails nothing is kept (stored files
are removed again) and the next ``seed-demo`` tries afresh. It is written only
while neither demo client has any supplier, document or requirement, so it
never mixes with data someone entered by hand.
"""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform import audit, demo_files
from baton.platform.db import db, utcnow
from baton.platform.request_context import Actor, acting_as
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.procurement.demo.changes import ChangesStory
from baton.procurement.demo.clients import ClientsStory
from baton.procurement.demo.follow_up import FollowUpStory
from baton.procurement.demo.history import HistoryStory
from baton.procurement.demo.issues import IssuesStory
from baton.procurement.demo.orders import OrdersStory
from baton.procurement.demo.people import ACME, DUE_SOON, GLOBEX, NORTHWIND, OVERDUE_BY
from baton.procurement.demo.sla_targets import SlaTargetsStory
from baton.procurement.handoff import review


def seed_handoff() -> bool:
    """Write the story unless either demo client already has handoff data."""
    from baton.tenants.models import Organisation

    check = db.new_service_session(SERVICE_CONTEXT)
    try:
        orgs = {
            org.name: org
            for org in check.scalars(
                sa.select(Organisation).where(Organisation.name.in_((ACME, GLOBEX, NORTHWIND)))
            )
        }
        if len(orgs) < 3 or _has_handoff_data(check, [orgs[ACME].id, orgs[GLOBEX].id]):
            return False
    finally:
        check.close()
    session = db.new_session()
    try:
        story = _Story(session)
        story.tell()
        outbox_ids = session.info.pop("outbox_ids", [])
        session.commit()
    finally:
        session.close()
    if outbox_ids:
        from baton.platform.web import dispatch_after_commit

        # As after a request: the notification emails go once the rows are committed.
        dispatch_after_commit(outbox_ids)
    return True


def _has_handoff_data(session: Session, tenant_ids: list[uuid.UUID]) -> bool:
    from baton.sourcing.documents.models import Document
    from baton.sourcing.requirements.models import Requirement
    from baton.sourcing.suppliers.models import Supplier

    return any(
        session.scalar(sa.select(model.id).where(model.tenant_id.in_(tenant_ids)).limit(1))
        for model in (Supplier, Document, Requirement)
    )


class _Story(
    SlaTargetsStory,
    ClientsStory,
    OrdersStory,
    FollowUpStory,
    IssuesStory,
    ChangesStory,
    HistoryStory,
):
    """The provider's half, after the clients': reviews, a return answered, acceptances."""

    def tell(self) -> None:
        self.sla_targets()
        self.acme_suppliers()
        self.acme_documents()
        self.acme_requirements()
        self.nordic_cable_lapses()
        self.globex()
        self.northwind_reviews()
        self.acme_follow_up()
        self.northwind_accepts()
        self.working_day_clock()
        self.follow_up_calendar()
        self.northwind_orders()
        self.northwind_issues()
        self.northwind_changes()
        # Months of past work for the SLA figures; procurement/demo/sla.py rolls it up.
        self.sla_history()

    def northwind_reviews(self) -> None:
        from baton.sourcing.suppliers.models import Supplier

        refs = self.requirements
        with self.acting("buyer1@northwind.example") as (provider_id, user_id):
            for ref in ("ACME-REQ-1041", "ACME-REQ-1044"):
                review.claim(self.session, provider_id, user_id, refs[ref])
                review.open_review(self.session, provider_id, user_id, refs[ref])
            review.return_requirement(
                self.session,
                provider_id,
                user_id,
                refs["ACME-REQ-1041"],
                [
                    {
                        "code": "missing_specification",
                        "field": "lines[1].specs",
                        "comment": "SPEC-AH200 revision 2 (3.5 mm wall) is released; the packet still points at revision 1.",
                    }
                ],
                "Everything else is ready; send it back with revision 2 and we order this week.",
            )
        with self.acting("buyer2@northwind.example") as (provider_id, user_id):
            ref = refs["ACME-REQ-1043"]
            review.claim(self.session, provider_id, user_id, ref)
            review.open_review(self.session, provider_id, user_id, ref)
            lapsed = self.session.get(Supplier, self.suppliers["NCH-0310"]).qualified_until
            review.return_requirement(
                self.session,
                provider_id,
                user_id,
                ref,
                [
                    {
                        "code": "supplier_not_qualified",
                        "field": "supplier_id",
                        "comment": f"Nordic Cable's qualification lapsed on {lapsed.isoformat()}. Renew it or award another supplier.",
                    },
                    {
                        "code": "missing_specification",
                        "field": "lines[1].specs",
                        "comment": "WH-7 must be built to SPEC-WH7; attach revision 1.",
                    },
                ],
                "Price, quantity and date are fine; we pick it up as soon as it is back.",
            )

    def acme_follow_up(self) -> None:
        """Sourcing releases revision 2 of the housing spec and hands the housings off again."""
        from baton.sourcing.documents import services as documents
        from baton.sourcing.requirements import services as requirements

        with self.acting("sourcing@acme.example") as (org_id, user_id):
            housing = documents.get_revision(
                self.session, org_id, self.revisions["SPEC-AH200@1"]
            ).document_id
            revision = documents.add_revision(
                self.session,
                self.store,
                org_id,
                housing,
                stream=io.BytesIO(demo_files.housing_spec(2)),
                filename="SPEC-AH200_rev2.pdf",
                max_bytes=self.max_bytes,
                note="Wall thickness 3.0 -> 3.5 mm after the FEA review; nothing else changed.",
                uploaded_by_id=user_id,
            )
            rid = self.requirements["ACME-REQ-1041"]
            req = requirements.get_for_client(self.session, org_id, rid)
            data = requirements.input_of(req)
            data["lines"][0]["spec_revision_ids"] = [revision.id]
            requirements.save_draft(self.session, org_id, user_id, data, rid)
            requirements.submit(self.session, org_id, user_id, rid)

    def northwind_accepts(self) -> None:

        with self.acting("buyer1@northwind.example") as (provider_id, user_id):
            rid = self.requirements["ACME-REQ-1041"]
            review.open_review(self.session, provider_id, user_id, rid)
            review.accept(
                self.session,
                provider_id,
                user_id,
                rid,
                "Ready to order: PO to Kessler this week against revision 2.",
            )

    def working_day_clock(self) -> None:
        """Put one handoff due later today and one overdue, as on a normal day.

        Seeded in one go, every handoff would fall due 48 hours from now. The
        moves are audited like any change, under the demo's own name.
        """
        from baton.procurement.handoff.queue import day_bounds
        from baton.sourcing.requirements.models import Requirement
        from baton.tenants.models import Organisation

        provider = self.session.scalar(
            sa.select(Organisation).where(Organisation.name == NORTHWIND)
        )
        now = utcnow()
        _start, end = day_bounds(provider.timezone, now)
        due_soon = min(now + DUE_SOON, end - timedelta(minutes=15))
        if due_soon <= now + timedelta(minutes=5):  # seeded in the day's last minutes
            due_soon = now + DUE_SOON
        moves = {"ACME-REQ-1042": due_soon, "ACME-REQ-1044": now - OVERDUE_BY}
        with self.acting("sourcing@acme.example"), acting_as(Actor("system", None, "demo seed")):
            for ref, due in moves.items():
                req = self.session.get(Requirement, self.requirements[ref])
                before = req.sla_due_at
                req.sla_due_at = due
                self.session.flush([req])
                audit.record(
                    self.session,
                    tenant_id=req.tenant_id,
                    provider_id=req.provider_id,
                    action="requirement.sla_due_moved",
                    entity_type="requirement",
                    entity_id=req.id,
                    changes={
                        "sla_due_at": [audit.jsonable(before), audit.jsonable(due)],
                        "reason": [None, "demo data: a working day's queue"],
                    },
                )
