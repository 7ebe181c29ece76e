"""The demo's change orders and engineering change.

ACME-REQ-1058 (motor mounts, bought to SPEC-MM10 revision 1) is released,
then Acme revises the specification: its line is flagged ``spec_outdated``
and the buyer sees it at the top of the orders list. ACME-REQ-1059 (cable
ties) is released and acknowledged, then changed: change order 1 raises the
delivery date nine days and adds a delivery note: within Acme's policy
(the total is unchanged), it is approved on submission and released as revision 1, which waits for Kessler's new acknowledgement.
"""

from __future__ import annotations

import io

from baton.platform import demo_files
from baton.procurement.demo.orders import BUYER


def _motor_mount_spec(revision: int) -> bytes:
    bolt = "M8 x 25, 8.8" if revision == 1 else "M8 x 30, 10.9 (longer after the vibration test)"
    return demo_files.text_pdf(
        f"SPEC-MM10 rev {revision} - Motor mount MM-10",
        [
            "Acme Robotics - part specification",
            "",
            "Material: S355 steel, 6 mm, laser cut and bent.",
            f"Fixing bolts supplied with each mount: {bolt}.",
            "Finish: zinc-nickel, 8 um, passivated.",
        ],
    )


class ChangesStory:
    """Mixed into the demo story after the orders (uses ``acting``, ``upload``,
    ``_handed_off``, ``_draft_order``, ``_release`` and ``_ack``)."""

    def northwind_changes(self) -> None:
        self._engineering_change()
        self._change_awaiting_acknowledgement()

    def _released_and_stored(self, rid) -> object:
        from baton.procurement.handoff import review
        from baton.procurement.orders import release
        from baton.procurement.orders.queries import get_for_provider

        with self.acting(BUYER) as (provider_id, user_id):
            review.accept(self.session, provider_id, user_id, rid, "Ready to order.")
        po_id = self._draft_order(rid)
        self._release(po_id)
        with self.acting(BUYER) as (provider_id, _):
            po = get_for_provider(self.session, provider_id, po_id)
            # Stored now, so this revision's PDF stays downloadable after a change.
            release.stored_pdf(self.session, po)
        return po_id

    def _engineering_change(self) -> None:
        from baton.sourcing.documents import services as documents

        with self.acting("sourcing@acme.example") as (org_id, user_id):
            self.upload(
                org_id,
                user_id,
                number="SPEC-MM10",
                title="Motor mount MM-10, part specification",
                filename="SPEC-MM10_rev1.pdf",
                data=_motor_mount_spec(1),
                note="First release.",
            )
        rid = self._handed_off(
            "ACME-REQ-1058",
            "Motor mounts MM-10",
            "MM-10",
            "Motor mount MM-10 with fixing bolts",
            "120",
            "14.00",
            specs=[self.revisions["SPEC-MM10@1"]],
        )
        self._released_and_stored(rid)
        with self.acting("sourcing@acme.example") as (org_id, user_id):
            first = documents.get_revision(self.session, org_id, self.revisions["SPEC-MM10@1"])
            documents.add_revision(
                self.session,
                self.store,
                org_id,
                first.document_id,
                stream=io.BytesIO(_motor_mount_spec(2)),
                filename="SPEC-MM10_rev2.pdf",
                max_bytes=self.max_bytes,
                note="Longer, stronger fixing bolts after the vibration test.",
                uploaded_by_id=user_id,
            )

    def _change_awaiting_acknowledgement(self) -> None:
        from baton.procurement.orders import change_approvals, change_orders, change_release

        rid = self._handed_off(
            "ACME-REQ-1059",
            "Cable ties CT-200",
            "CT-200",
            "Cable tie 200 x 4.8 mm, black, UV resistant",
            "5000",
            "0.04",
        )
        po_id = self._released_and_stored(rid)
        self._ack(po_id)
        with self.acting(BUYER) as (provider_id, user_id):
            change = change_orders.start(
                self.session,
                provider_id,
                user_id,
                po_id,
                cause="client_change",
                reason="Acme needs the ties nine days earlier for the service-kit build.",
                edits={
                    "lines": [
                        {
                            "line_no": 1,
                            "schedule": [{"date": self.days(21).isoformat(), "quantity": "5000"}],
                        }
                    ],
                    "notes": "Deliver to dock 4 before 10:00.",
                },
            )
            change_approvals.submit(self.session, provider_id, user_id, po_id, change.id)
            change_release.release(self.session, provider_id, po_id, change.id)
