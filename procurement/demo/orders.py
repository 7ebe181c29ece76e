"""The demo's purchase orders: one in every state a buyer meets in a week.

Acme hands off eight more requirements to Kessler; Northwind's buyer orders
them. Acme's policy asks one approver above 5,000 EUR and two above 20,000.
Each order is moved on through the real services, as its people would.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from baton.procurement.demo.people import ACME, ACME_SHIP_TO
from baton.procurement.handoff import review

BUYER, APPROVER, ADMIN = "buyer1@northwind.example", "approver@acme.example", "admin@acme.example"

# reference, title, item, description, quantity, unit price, what happens to its order
ORDERS = (
    (
        "ACME-REQ-1050",
        "Gearbox housings GH-40",
        "GH-40",
        "Gearbox housing GH-40, cast and machined",
        "40",
        "180.00",
        "awaits_one",
    ),
    (
        "ACME-REQ-1051",
        "Servo motors SM-750",
        "SM-750",
        "Servo motor 750 W with brake",
        "30",
        "950.00",
        "awaits_two",
    ),
    (
        "ACME-REQ-1052",
        "Cable glands M20",
        "CG-M20",
        "Cable gland M20, nickel-plated brass",
        "500",
        "1.20",
        "draft_exception",
    ),
    (
        "ACME-REQ-1053",
        "Bearings 6204-2RS",
        "BRG-6204",
        "Deep groove ball bearing 6204-2RS",
        "200",
        "12.50",
        "unacknowledged",
    ),
    (
        "ACME-REQ-1054",
        "Fastener kits FK-12",
        "FK-12",
        "Fastener kit FK-12 (M4-M8)",
        "1000",
        "0.85",
        "changed_date",
    ),
    (
        "ACME-REQ-1055",
        "Sheet metal brackets SB-3",
        "SB-3",
        "Bracket SB-3, laser cut, powder coated",
        "100",
        "45.00",
        "part_received",
    ),
    (
        "ACME-REQ-1056",
        "Returnable pallets",
        "PAL-1200",
        "Pallet 1200 x 800, returnable",
        "50",
        "20.00",
        "received",
    ),
    (
        "ACME-REQ-1057",
        "Rating labels",
        "LBL-RT",
        "Rating label, polyester, printed",
        "2000",
        "0.05",
        "closed",
    ),
)


class OrdersStory:
    """Mixed into the demo story (it provides ``acting``, ``draft``, ``days``)."""

    def northwind_orders(self) -> None:
        from baton.procurement.orders import policy

        with self.acting(ADMIN) as (org_id, _):
            policy.update_policy(
                self.session,
                org_id,
                {
                    "currency": "EUR",
                    "one_approver_above": "5000",
                    "two_approvers_above": "20000",
                    "change_tolerance_percent": "5",
                    "receipt_tolerance_percent": "2",
                },
            )
        for ref, title, item, description, qty, price, fate in ORDERS:
            rid = self._handed_off(ref, title, item, description, qty, price)
            with self.acting(BUYER) as (provider_id, user_id):
                review.accept(self.session, provider_id, user_id, rid, "Ready to order.")
            getattr(self, f"_order_{fate}")(self._draft_order(rid))

    # --- the packets -------------------------------------------------------------------

    def _handed_off(self, ref, title, item, description, qty, price, specs=()) -> uuid.UUID:
        return self.draft(
            "sourcing@acme.example",
            {
                "engagement_id": self.engagement_id(ACME),
                "ship_to": ACME_SHIP_TO,
                "payment_terms": "Net 30",
                "client_reference": ref,
                "title": title,
                "supplier_id": self.suppliers["KES-1001"],
                "currency": "EUR",
                "incoterms": "DAP",
                "quote_reference": f"KES-Q-{ref[-4:]}",
                "quote_valid_until": self.days(60),
                "priority": "normal",
                "lines": [
                    {
                        "item_code": item,
                        "description": description,
                        "quantity": Decimal(qty),
                        "unit": "each",
                        "unit_price": Decimal(price),
                        "need_by": self.days(30),
                        "spec_required": bool(specs),
                        "spec_revision_ids": list(specs),
                    }
                ],
            },
        )

    def _draft_order(self, rid: uuid.UUID) -> uuid.UUID:
        from baton.procurement.orders import drafting

        with self.acting(BUYER) as (provider_id, user_id):
            keys = [
                r.key
                for r in drafting.ready_lines(self.session, provider_id)
                if r.requirement.id == rid
            ]
            return drafting.create_draft(self.session, provider_id, user_id, keys).id

    def _submit(self, po_id, reason=None) -> None:
        from baton.procurement.orders import approvals

        with self.acting(BUYER) as (provider_id, user_id):
            approvals.submit(self.session, provider_id, user_id, po_id, reason=reason)

    def _release(self, po_id) -> None:
        from baton.procurement.orders import release

        self._submit(po_id)
        with self.acting(BUYER) as (provider_id, _):
            release.release(self.session, provider_id, po_id)

    def _ack(self, po_id, outcome="accepted", promised=None, source="email") -> None:
        from baton.procurement.orders import acknowledgements
        from baton.procurement.orders.queries import get_for_provider

        with self.acting(BUYER) as (provider_id, user_id):
            po = get_for_provider(self.session, provider_id, po_id, lock=True)
            line = {"line_no": 1, "outcome": outcome}
            if promised:
                line["promised_date"] = promised.isoformat()
            acknowledgements.acknowledge(
                self.session,
                po,
                [line],
                source=source,
                entered_by_id=user_id,
                note="Confirmed by phone with Jonas Weber." if source == "phone" else None,
            )

    def _receive(self, po_id, qty: str, reference: str) -> None:
        from baton.procurement.orders import receipts

        with self.acting(BUYER) as (provider_id, user_id):
            receipts.receive(
                self.session,
                provider_id,
                user_id,
                po_id,
                [{"line_no": 1, "quantity_received": qty}],
                reference=reference,
            )

    # --- what happens to each ----------------------------------------------------------

    def _order_awaits_one(self, po_id) -> None:
        self._submit(po_id)

    def _order_awaits_two(self, po_id) -> None:
        from baton.procurement.orders import approvals

        self._submit(po_id)
        with self.acting(APPROVER) as (org_id, user_id):
            approvals.decide(
                self.session,
                org_id,
                user_id,
                po_id,
                approve=True,
                comment="Fine by engineering; needs a second approval.",
            )

    def _order_draft_exception(self, po_id) -> None:
        from baton.procurement.orders import drafting

        with self.acting(BUYER) as (provider_id, _):
            drafting.update_draft(
                self.session,
                provider_id,
                po_id,
                {
                    "lines": [{"line_no": 1, "unit_price": "1.35"}],
                    "notes": "Brass surcharge from Kessler since the quote.",
                },
                expected_version=None,
            )

    def _order_unacknowledged(self, po_id) -> None:
        self._release(po_id)
        # Still unanswered past the acknowledgement target, chased once (demo/follow_up.py).
        self.past_target_and_chased(po_id)

    def _order_changed_date(self, po_id) -> None:
        from baton.procurement.demo import shipments

        self._release(po_id)
        self._ack(po_id, "changed", self.days(38), source="phone")
        # Half of it is on the way already, announced through Kessler's link.
        shipments.supplier_notice(self, po_id, "500", shipped=0, due=5)

    def _order_part_received(self, po_id) -> None:
        from baton.procurement.demo import shipments
        from baton.procurement.orders.models import POLine

        self._release(po_id)
        shipments.email_acknowledgement(self, po_id, BUYER)
        shipments.receive_with_slip(self, po_id, BUYER, "60", "DN-44120", days_ago=6)
        # The other 40 were announced for yesterday and have not come.
        shipments.supplier_notice(self, po_id, "40", shipped=-4, due=-1)
        # Promised four days ago, 40 still to come: overdue on the open-orders list.
        for line in self.session.query(POLine).filter(POLine.po_id == po_id):
            line.promised_date = self.days(-4)

    def _order_received(self, po_id) -> None:
        self._release(po_id)
        self._ack(po_id)
        self._receive(po_id, "50", "DN-44131")

    def _order_closed(self, po_id) -> None:
        from baton.procurement.orders import receipts

        self._release(po_id)
        self._ack(po_id)
        self._receive(po_id, "2000", "DN-44090")
        with self.acting(BUYER) as (provider_id, _):
            receipts.close(self.session, provider_id, po_id)
