"""The demo's order issues: one waiting on Acme for a decision, one waiting
on Kessler (the supplier) to answer through its link.

Mixed into the demo story after the orders exist (it provides ``acting`` and
``session``); each issue is raised and routed through the real services.
"""

from __future__ import annotations

import io
import uuid

import sqlalchemy as sa

from baton.procurement.demo.orders import BUYER

DEFECTS = (
    b"Incoming inspection DN-44120, brackets SB-3\n"
    b"12 of 60 with powder-coat blisters on the mounting face.\n"
    b"Photos on file with the buyer.\n"
)


class IssuesStory:
    def northwind_issues(self) -> None:
        from baton.procurement.orders import issues

        late = self._order_of("ACME-REQ-1054")
        defects = self._order_of("ACME-REQ-1055")
        with self.acting(BUYER) as (provider_id, user_id):
            date = issues.raise_issue(
                self.session,
                provider_id,
                user_id,
                late,
                {
                    "cause": "date",
                    "line_no": "1",
                    "title": "Kessler can deliver only eight days after the need-by date",
                    "message": "Kessler confirmed by phone: the kits ship eight days late"
                    " (zinc plating backlog).",
                },
            )
            issues.route(
                self.session,
                provider_id,
                user_id,
                date.id,
                {
                    "to": "client",
                    "message": "Can the line wait eight days, or should we split the order"
                    " and buy half from the second source at 0.92 EUR?",
                },
            )
            quality = issues.raise_issue(
                self.session,
                provider_id,
                user_id,
                defects,
                {
                    "cause": "quality",
                    "line_no": "1",
                    "title": "12 brackets on quality hold",
                    "message": "Incoming inspection put 12 of the 60 delivered on hold.",
                },
                issues.Upload(io.BytesIO(DEFECTS), "inspection-DN-44120.txt"),
            )
            issues.route(
                self.session,
                provider_id,
                user_id,
                quality.id,
                {
                    "to": "supplier",
                    "message": "12 of the 60 brackets delivered on DN-44120 have powder-coat"
                    " blisters (report attached on our side). Will you replace them with the"
                    " remaining 40, and by when?",
                },
            )

    def _order_of(self, reference: str) -> uuid.UUID:
        from baton.procurement.orders.models import POLine
        from baton.sourcing.requirements.models import Requirement

        with self.acting(BUYER):
            return self.session.scalar(
                sa.select(POLine.po_id)
                .join(Requirement, Requirement.id == POLine.requirement_id)
                .where(Requirement.client_reference == reference)
                .limit(1)
            )
