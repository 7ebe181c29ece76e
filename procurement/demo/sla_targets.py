"""The demo engagements' SLA targets: the issue's examples, with service credits.

Set by Northwind's admin before any handoff, so the queue's due times and the
SLA figures count on the same 16 business hours.
"""

from __future__ import annotations

from baton.procurement.demo.people import ACME, GLOBEX

NORTHWIND_ADMIN = "admin@northwind.example"
# 95 % released within 2 business days (16 h); 90 % acknowledged within 48 h;
# OTIF 92 %; returns answered within 8 h (the client's own); issues within 8 h.
# Each missed target credits 2 % of a 12,000.00 EUR month, capped at 10 %.
EXAMPLE_TARGETS = {
    "handoff_to_release_percent": "95",
    "handoff_to_release_hours": "16",
    "handoff_to_release_credit": "2",
    "acknowledgement_percent": "90",
    "acknowledgement_hours": "48",
    "acknowledgement_credit": "2",
    "otif_percent": "92",
    "otif_credit": "2",
    "client_answer_percent": "90",
    "client_answer_hours": "8",
    "client_answer_credit": "0",
    "issue_answer_percent": "90",
    "issue_answer_hours": "8",
    "issue_answer_credit": "2",
    "monthly_fee": "12000.00",
    "fee_currency": "EUR",
    "credit_cap_percent": "10",
}


class SlaTargetsStory:
    """Mixed into the demo story (it provides ``acting``, ``session``, ``engagement_id``)."""

    def sla_targets(self) -> None:
        from baton.tenants.models import Organisation
        from baton.tenants.sla_targets import update_targets

        with self.acting(NORTHWIND_ADMIN) as (provider_id, _):
            provider = self.session.get(Organisation, provider_id)
            for client in (ACME, GLOBEX):
                update_targets(self.session, provider, self.engagement_id(client), EXAMPLE_TARGETS)
