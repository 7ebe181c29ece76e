"""Billing's periodic jobs (declared in the tenants area's ``schedules``)."""

from baton.platform.schedules import Schedule

SCHEDULES = (
    Schedule(
        name="billing-push",
        job="tenants.billing_push",
        cron="* * * * *",
        queue="default",
        description="Every minute, push the usage events not yet in Stripe to its Billing"
        " Meters (nothing without a Stripe key; paused while Stripe asks to wait).",
    ),
    Schedule(
        name="billing-reconcile",
        job="tenants.billing_reconcile",
        cron="10 3 * * *",
        description="At 03:10 UTC, compare Stripe's meter summaries of the previous UTC day"
        " and month to date with the ledger; email operators on any difference.",
    ),
)
