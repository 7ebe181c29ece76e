"""The demo's supplier follow-up: Acme's engagement on a Munich calendar, and
the unacknowledged order past its target with one automatic chaser sent."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from baton.platform.db import utcnow
from baton.platform.request_context import Actor, acting_as
from baton.procurement.demo.people import ACME

NORTHWIND_ADMIN = "admin@northwind.example"
# How far past the acknowledgement target the demo's unanswered order is.
PAST_TARGET = Decimal(10)


class FollowUpStory:
    """Mixed into the demo story (it provides ``acting``, ``session``, ``engagement_id``)."""

    def follow_up_calendar(self) -> None:
        from baton.tenants.engagement_settings import update_settings
        from baton.tenants.models import Organisation

        with self.acting(NORTHWIND_ADMIN) as (provider_id, _):
            year = utcnow().year
            update_settings(
                self.session,
                self.session.get(Organisation, provider_id),
                self.engagement_id(ACME),
                {
                    "timezone": "Europe/Berlin",
                    "working_days": ["1", "2", "3", "4", "5"],
                    "day_starts": "08:00",
                    "day_ends": "17:00",
                    "holiday_country": "DE",
                    "holiday_subdivision": "BY",
                    "days_off": f"{year}-12-24 Plant closed\n{year}-12-31 Inventory",
                    "chase_after_hours": "",
                    "chase_every_hours": "24",
                    "chase_max": "3",
                    "chase_late_lines": "1",
                },
            )

    def past_target_and_chased(self, po_id: uuid.UUID) -> None:
        """Released long enough ago to be ``PAST_TARGET`` business hours late, and
        chased once when the target passed, as the schedule would have."""
        from baton.procurement.orders.chasers import record_chase
        from baton.procurement.orders.follow_up import UNACKNOWLEDGED
        from baton.procurement.orders.models import PurchaseOrder
        from baton.tenants.calendars import add_business_hours, business_hours_between
        from baton.tenants.engagement_settings import calendar_of, first_chase_after
        from baton.tenants.models import Engagement

        engagement = self.session.get(Engagement, self.engagement_id(ACME))
        calendar = calendar_of(engagement)
        wanted = Decimal(engagement.sla_release_to_ack_hours) + PAST_TARGET
        now = utcnow()
        released = now
        while business_hours_between(calendar, released, now) < wanted:
            released -= timedelta(hours=1)
        po = self.session.get(PurchaseOrder, po_id)
        po.released_at = released
        with acting_as(Actor("system", None, "job procurement.auto_chase")):
            first = add_business_hours(calendar, released, first_chase_after(engagement))
            record_chase(self.session, po, UNACKNOWLEDGED, min(first, now))
