"""Last month's SLA report, emailed to the client's admins on the first business day.

The schedule runs every morning at 07:00 in each client's time zone (a
``local_hour`` schedule: one outbox row per client and local day); the job
sends only when that day is the month's first working day on the engagement's
business calendar (its working days, public holidays and days off), so a
client whose 1st is a Saturday or a holiday gets the report on the Monday
after. The message key names the client, month and address, so a second
run (a retry, two schedulers) never sends it twice.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy.orm import Session

from baton.platform.jobs import job
from baton.platform.schedules import Schedule
from baton.procurement.sla import dashboard, dashboard_terms, report
from baton.tenants.calendars import Calendar, is_working_day
from baton.tenants.engagement_settings import calendar_of

JOB = "procurement.sla_monthly_report"

SCHEDULES = (
    Schedule(
        name="sla-monthly-report",
        job=JOB,
        local_hour=7,
        kinds=("client",),
        description="At 07:00 in each client's time zone, on the first business day of the"
        " month (by its engagement's calendar), email its admins last month's SLA report as PDF.",
    ),
)


def first_working_day(calendar: Calendar, month: date) -> date | None:
    day = dashboard_terms.month_start(month)
    while day.month == month.month:
        if is_working_day(calendar, day):
            return day
        day += timedelta(days=1)
    return None


def report_due(session: Session, client_id: uuid.UUID, today: date) -> list:
    """The client's engagements whose report is due ``today`` (the first working day
    of the month on the calendar of its main engagement, the first listed)."""
    engagements = dashboard_terms.client_engagements(session, client_id)
    if not engagements:
        return []
    if first_working_day(calendar_of(engagements[0]), today) != today:
        return []
    return engagements


def report_pdf(session: Session, client, engagements: list, period: date) -> bytes:
    views = [dashboard.month_view(session, e, period) for e in engagements]
    return report.render(report.build(session, client, views, period))


@job(JOB, queue="low", label="Monthly SLA report")
def sla_monthly_report(session: Session, payload: dict) -> None:
    from flask import url_for

    from baton.platform import mail
    from baton.platform.directory import directory

    client_id = uuid.UUID(payload["tenant_id"])
    client = directory().organisation(session, client_id)
    if client is None or not client.is_active or client.kind != "client":
        return
    today = date.fromisoformat(payload["local_date"])
    engagements = report_due(session, client_id, today)
    if not engagements:
        return
    admins = sorted(set(directory().admin_emails(session, client_id)))
    if not admins:
        return
    period = dashboard_terms.shift(dashboard_terms.month_start(today), -1)
    body = report_pdf(session, client, engagements, period)
    name = f"sla-report-{period:%Y-%m}.pdf"
    for address in admins:
        mail.send(
            mail.OutgoingMail(
                to=[address],
                subject=f"Service levels {period:%B %Y}: {client.name}",
                template="notification",
                context={
                    "subject": f"Your service levels for {period:%B %Y}",
                    "lines": [
                        f"The report for {period:%B %Y} is attached ({name}): targets against"
                        " actuals, whose time each breach was, and any SLA credit.",
                    ],
                    "action": [
                        "Open the SLA dashboard",
                        url_for("client_sla.index", period=f"{period:%Y-%m}", _external=True),
                    ],
                },
                key=f"sla-report:{client_id}:{period:%Y-%m}:{address.lower()}",
                attachments=[mail.Attachment(name, body, "application/pdf")],
                tenant_id=client_id,
                outbox_id=uuid.UUID(payload["_outbox_id"]) if payload.get("_outbox_id") else None,
            )
        )
