"""The demo's SLA history: four months of Acme's orders, so the dashboards and
scorecards have trends to show.

Each order is made by the real services at the past moments its people
would have acted (``time_machine`` moves the clock; audit events and rows
carry those times, so the SLA rollup measures them as it would real work):
Acme hands a requirement off, Northwind returns some and Acme answers,
Northwind orders and releases, the supplier acknowledges and delivers. Times
are business hours on the engagement's calendar from the first working day
of each month, so the history reads the same whenever the demo is seeded.

What it shows:

* Kessler (KES-1001) delivers on time in full in the last three months
  (but for the current story's bracket order, ACME-000006): above Acme's
  90 % threshold; a late, short delivery four months ago shows in its
  12-month figure.
* Brightline (BLM-2040, conditional) acknowledges late, delivers late or
  short, asks for a change: under Acme's 90 % OTIF threshold, flagged.
* Breaches of each party: Northwind's buyer releases two handoffs late (the
  provider's time), Acme answers a return and an order issue late (the
  client's), Brightline acknowledges late (the supplier's).

Requirements are numbered ACME-REQ-2101 onwards, orders take the next
numbers after the current story's (ACME-000011 onwards).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import time_machine

from baton.platform.db import utcnow
from baton.procurement.demo.orders import APPROVER, BUYER
from baton.procurement.demo.people import ACME, ACME_SHIP_TO

SOURCING = "sourcing@acme.example"
MONTHS = 4


@dataclass(frozen=True)
class Plan:
    """One requirement's life; hours are business hours after the step before."""

    supplier: str
    item: str
    description: str
    quantity: str
    price: str
    # Working day of the month it is handed off on (0: the first).
    day: int
    release_after: int = 6
    # Returned 2 hours after the handoff and answered after this many hours.
    answered_after: int | None = None
    # Hours the client's approver takes, where the order needs one.
    approved_after: int | None = None
    ack_after: int = 3
    # Acknowledged with a later date (days after the need-by date).
    changed_days: int | None = None
    # Days after the promised date the goods arrive; None: not yet.
    late_days: int | None = 0
    # Of what arrives, rejected at goods-in (and credited: never replaced).
    rejected: str = "0"
    # Delivered short: this much never comes.
    short: str = "0"
    issue_after: int | None = None
    supplier_change: bool = False


KES, BLM = "KES-1001", "BLM-2040"
# Per month, oldest first.
PLANS: tuple[tuple[Plan, ...], ...] = (
    (
        Plan(KES, "AH-200", "Actuator housing AH-200", "60", "42.00", 1, late_days=4, short="5"),
        Plan(KES, "GH-40", "Gearbox housing GH-40", "20", "180.00", 3, release_after=60),
        Plan(BLM, "SD-20", "Servo drive SD-20", "4", "610.00", 2, ack_after=20, late_days=6),
    ),
    (
        Plan(KES, "BR-88", "Mounting bracket BR-88", "400", "3.10", 0, answered_after=20),
        Plan(KES, "SH-12", "Drive shaft SH-12", "50", "36.50", 4, late_days=-2),
        Plan(BLM, "SM-400", "Servo motor 400 W", "6", "720.00", 1, ack_after=90, late_days=5),
    ),
    (
        Plan(KES, "GH-40", "Gearbox housing GH-40", "30", "180.00", 1, approved_after=10),
        Plan(KES, "AH-200", "Actuator housing AH-200", "80", "42.00", 5, release_after=60),
        Plan(BLM, "SD-20", "Servo drive SD-20", "5", "610.00", 2, changed_days=6, late_days=3),
        Plan(BLM, "EN-5", "Encoder EN-5", "20", "95.00", 6, rejected="4", issue_after=24),
        Plan(KES, "BR-88", "Mounting bracket BR-88", "250", "3.10", 3),
        Plan(KES, "SH-12", "Drive shaft SH-12", "30", "36.50", 7, late_days=-3),
        Plan(KES, "CV-6", "Cover plate CV-6", "120", "8.40", 8),
    ),
    (
        Plan(KES, "BR-88", "Mounting bracket BR-88", "300", "3.10", 0, late_days=-1),
        Plan(KES, "SH-12", "Drive shaft SH-12", "40", "36.50", 2, answered_after=4),
        Plan(BLM, "SM-400", "Servo motor 400 W", "4", "720.00", 1, supplier_change=True),
        Plan(BLM, "SD-20", "Servo drive SD-20", "3", "610.00", 4, ack_after=90, late_days=None),
        Plan(KES, "CV-6", "Cover plate CV-6", "150", "8.40", 3, late_days=-1),
        Plan(KES, "AH-200", "Actuator housing AH-200", "40", "42.00", 5),
        Plan(KES, "GH-40", "Gearbox housing GH-40", "10", "180.00", 6, late_days=-2),
    ),
)


def _month_back(today: date, n: int) -> date:
    index = today.year * 12 + today.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


class HistoryStory:
    """Mixed into the demo story last (uses ``acting``, ``draft``, ``engagement_id``)."""

    def sla_history(self) -> None:
        from baton.tenants.calendars import add_business_hours
        from baton.tenants.engagement_settings import calendar_of
        from baton.tenants.models import Engagement

        self.calendar = calendar_of(self.session.get(Engagement, self.engagement_id(ACME)))
        self.later = lambda at, hours: add_business_hours(self.calendar, at, hours)
        self.now = utcnow()
        number = 2101
        for back, plans in zip(range(MONTHS, 0, -1), PLANS, strict=True):
            days = self._working_days(_month_back(self.today, back))
            for plan in plans:
                self._live(plan, days[plan.day], f"ACME-REQ-{number}")
                number += 1

    def _working_days(self, first: date) -> list[date]:
        from baton.tenants.calendars import is_working_day

        days, day = [], first
        while len(days) < 10:
            if is_working_day(self.calendar, day):
                days.append(day)
            day += timedelta(days=1)
        return days

    def _at(self, moment: datetime):
        return time_machine.travel(moment, tick=False)

    def _live(self, plan: Plan, day: date, reference: str) -> None:
        from baton.procurement.handoff import review

        start = datetime.combine(day, time(9), self.calendar.zone).astimezone(UTC)
        need_by = day + timedelta(days=21)
        with self._at(start):
            rid = self._handoff(plan, reference, need_by)
        ready = start
        if plan.answered_after is not None:
            returned = self.later(start, 2)
            with self._at(returned), self.acting(BUYER) as (provider_id, user_id):
                review.claim(self.session, provider_id, user_id, rid)
                review.open_review(self.session, provider_id, user_id, rid)
                review.return_requirement(
                    self.session,
                    provider_id,
                    user_id,
                    rid,
                    [
                        {
                            "code": "date_not_achievable",
                            "field": "lines[1].need_by",
                            "comment": "The supplier quotes four weeks; confirm the need-by date.",
                        }
                    ],
                )
            ready = self.later(returned, plan.answered_after)
            with self._at(ready), self.acting(SOURCING) as (org_id, user_id):
                from baton.sourcing.requirements import services as requirements

                requirements.submit(self.session, org_id, user_id, rid, accept_warnings=True)
        with self._at(self.later(ready, 1)), self.acting(BUYER) as (provider_id, user_id):
            review.accept(self.session, provider_id, user_id, rid, "Ready to order.")
        released = self._order(plan, rid, self.later(ready, plan.release_after))
        self._supplier_side(plan, released, need_by)

    def _handoff(self, plan: Plan, reference: str, need_by: date) -> uuid.UUID:
        currency = "USD" if plan.supplier == BLM else "EUR"
        return self.draft(
            SOURCING,
            {
                "engagement_id": self.engagement_id(ACME),
                "ship_to": ACME_SHIP_TO,
                "payment_terms": "Net 30",
                "client_reference": reference,
                "title": plan.description,
                "supplier_id": self.suppliers[plan.supplier],
                "currency": currency,
                "incoterms": "DAP" if currency == "EUR" else "FCA",
                "quote_reference": f"Q-{reference[-4:]}",
                "quote_valid_until": need_by + timedelta(days=30),
                "priority": "normal",
                "lines": [
                    {
                        "item_code": plan.item,
                        "description": plan.description,
                        "quantity": Decimal(plan.quantity),
                        "unit": "each",
                        "unit_price": Decimal(plan.price),
                        "need_by": need_by,
                        "spec_required": False,
                        "spec_revision_ids": [],
                    }
                ],
            },
            accept_warnings=True,
        )

    def _order(self, plan: Plan, rid: uuid.UUID, at: datetime) -> tuple[uuid.UUID, datetime]:
        from baton.procurement.orders import approvals, release
        from baton.procurement.orders.models import PurchaseOrder

        with self._at(at):
            po_id = self._draft_order(rid)
            self._submit(po_id)
        # Above 5,000, or in another currency than Acme's policy: an approver decides.
        if self.session.get(PurchaseOrder, po_id).status == "pending_approval":
            at = self.later(at, plan.approved_after or 3)
            with self._at(at), self.acting(APPROVER) as (org_id, user_id):
                approvals.decide(
                    self.session, org_id, user_id, po_id, approve=True, comment="Approved."
                )
        with self._at(at), self.acting(BUYER) as (provider_id, _):
            release.release(self.session, provider_id, po_id)
        return po_id, at

    def _supplier_side(self, plan: Plan, released: tuple, need_by: date) -> None:
        po_id, at = released
        at = self.later(at, plan.ack_after)
        if at > self.now:
            return
        promised = need_by
        with self._at(at):
            if plan.changed_days is not None:
                promised = need_by + timedelta(days=plan.changed_days)
                self._ack(po_id, "changed", promised)
                self._accept_changes(po_id)
            else:
                self._ack(po_id)
        if plan.supplier_change:
            self._supplier_change(po_id, self.later(at, 4), need_by, plan.quantity)
        if plan.issue_after is not None:
            self._issue(po_id, self.later(at, 2), plan.issue_after)
        if plan.late_days is None:
            return
        arrived = promised + timedelta(days=plan.late_days)
        quantity = Decimal(plan.quantity) - Decimal(plan.short)
        rejected = Decimal(plan.rejected)
        self._goods_in(po_id, arrived, quantity, rejected)

    def _accept_changes(self, po_id: uuid.UUID) -> None:
        from baton.procurement.orders import acknowledgements

        with self.acting(BUYER) as (provider_id, _):
            acknowledgements.accept_changes(self.session, provider_id, po_id)

    def _goods_in(self, po_id, day: date, quantity: Decimal, rejected: Decimal) -> None:
        from baton.procurement.orders import receipts

        moment = datetime.combine(day, time(10), self.calendar.zone).astimezone(UTC)
        if moment > self.now:
            return
        line = {"line_no": 1, "quantity_received": str(quantity)}
        if rejected:
            line |= {"quantity_rejected": str(rejected), "reject_reason": "Connector pins bent"}
        with self._at(moment), self.acting(BUYER) as (provider_id, user_id):
            receipts.receive(
                self.session,
                provider_id,
                user_id,
                po_id,
                [line],
                reference=f"DN-{day:%y%m%d}",
            )

    def _supplier_change(self, po_id, at: datetime, need_by: date, quantity: str) -> None:
        from baton.procurement.orders import (
            change_approvals,
            change_orders,
            change_release,
            release,
        )
        from baton.procurement.orders.queries import get_for_provider

        with self._at(at), self.acting(BUYER) as (provider_id, user_id):
            # Stored now, as the release job would have, so revision 0's PDF stays.
            release.stored_pdf(self.session, get_for_provider(self.session, provider_id, po_id))
            change = change_orders.start(
                self.session,
                provider_id,
                user_id,
                po_id,
                cause="supplier_change",
                reason="Brightline moves the motors to its second plant and ships a week later.",
                edits={
                    "lines": [
                        {
                            "line_no": 1,
                            "schedule": [
                                {
                                    "date": (need_by + timedelta(days=7)).isoformat(),
                                    "quantity": quantity,
                                }
                            ],
                        }
                    ]
                },
            )
            change = change_approvals.submit(self.session, provider_id, user_id, po_id, change.id)
        # The later date differs from the handoff: Acme's approver accepts it.
        at = self.later(at, 2)
        if change.status != "approved":
            with self._at(at), self.acting(APPROVER) as (org_id, user_id):
                change_approvals.decide(
                    self.session,
                    org_id,
                    user_id,
                    po_id,
                    change.id,
                    approve=True,
                    comment="A week later is fine.",
                    accept_exceptions=True,
                )
        with self._at(at), self.acting(BUYER) as (provider_id, _):
            change_release.release(self.session, provider_id, po_id, change.id)
        # Revision 1 is acknowledged as it stands the next morning.
        with self._at(self.later(at, 8)):
            self._ack(po_id)

    def _issue(self, po_id, at: datetime, answered_after: int) -> None:
        from baton.procurement.orders import issues

        with self._at(at), self.acting(BUYER) as (provider_id, user_id):
            issue = issues.raise_issue(
                self.session,
                provider_id,
                user_id,
                po_id,
                {
                    "cause": "quality",
                    "line_no": "1",
                    "title": "Encoders: four with bent connector pins",
                    "message": "Four encoders arrived with bent pins; Brightline offers a credit.",
                },
            )
            issues.route(
                self.session,
                provider_id,
                user_id,
                issue.id,
                {
                    "to": "client",
                    "message": "Take the credit, or wait three weeks for replacements?",
                },
            )
        with self._at(self.later(at, answered_after)), self.acting(SOURCING) as (org_id, uid):
            issues.reply_as_client(
                self.session,
                org_id,
                uid,
                issue.id,
                {"message": "Take the credit; we do not need the four."},
            )
