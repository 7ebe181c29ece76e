"""The procurement area's periodic jobs (declared in ``area.py``'s ``schedules``)."""

from baton.platform.schedules import QUARTER_HOURLY, Schedule

SCHEDULES = (
    Schedule(
        name="supplier-chasers",
        job="procurement.find_due_chasers",
        cron=QUARTER_HOURLY,
        description="Every quarter hour, chase the suppliers whose orders are due a reminder"
        " by their engagement's settings (after N business hours, then every M, at most K).",
    ),
    Schedule(
        name="sla-rollup",
        job="procurement.sla_rollup",
        cron=QUARTER_HOURLY,
        description="Every quarter hour, bring the SLA measures and monthly figures up to date"
        " from the audit events written since the last run (and re-judge open items past due).",
    ),
)
