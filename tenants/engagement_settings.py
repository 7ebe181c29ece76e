"""An engagement's business calendar and supplier-chaser settings.

The provider's admin edits them (``engagement.manage``); the client reads
them. Input is normalised before it is compared (times, decimals, dates,
Unicode, line endings), so saving an unchanged form records nothing; a bad
field is named and nothing changes.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from datetime import date, time
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from baton.platform import audit
from baton.platform.errors import Conflict, NotFound, ValidationFailed
from baton.tenants.calendars import WEEKDAYS, Calendar
from baton.tenants.models import Engagement, Organisation

SETTINGS_FIELDS = (
    "timezone",
    "working_days",
    "day_starts",
    "day_ends",
    "holiday_country",
    "holiday_subdivision",
    "days_off",
    "chase_after_hours",
    "chase_every_hours",
    "chase_max",
    "chase_late_lines",
)
MAX_DAYS_OFF = 200
MAX_HOURS = Decimal("2000")
MAX_CHASERS = 20
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::00)?$")


@cache
def supported_countries() -> dict[str, tuple[str, ...]]:
    """ISO country -> its subdivisions, as the installed ``holidays`` knows them."""
    import holidays

    return {
        code: tuple(subdivisions)
        for code, subdivisions in holidays.list_supported_countries().items()
        if len(code) == 2
    }


@cache
def timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def calendar_of(engagement: Engagement, provider_timezone: str | None = None) -> Calendar:
    """The engagement's calendar; without a zone of its own, the provider's."""
    zone = engagement.timezone or provider_timezone
    if zone is None:
        zone = engagement.provider.timezone if engagement.provider is not None else "UTC"
    return Calendar(
        timezone=zone or "UTC",
        working_days=frozenset(int(d) for d in (engagement.working_days or "") if d.isdigit()),
        day_starts=engagement.day_starts or time(9),
        day_ends=engagement.day_ends or time(17),
        holiday_country=engagement.holiday_country or None,
        holiday_subdivision=engagement.holiday_subdivision or None,
        days_off=frozenset(date.fromisoformat(d["date"]) for d in engagement.days_off or []),
    )


def first_chase_after(engagement: Engagement) -> Decimal:
    """Business hours unacknowledged before the first chaser: the setting, else the target."""
    if engagement.chase_after_hours is not None:
        return Decimal(engagement.chase_after_hours)
    return Decimal(engagement.sla_release_to_ack_hours)


def engagement_for(session: Session, org: Organisation, engagement_id: uuid.UUID) -> Engagement:
    """One of ``org``'s engagements; anyone else's is not found. A provider sees
    its client's engagement only while it is active, as it sees the client's work."""
    stmt = (
        sa.select(Engagement)
        .options(joinedload(Engagement.client), joinedload(Engagement.provider))
        .where(Engagement.id == engagement_id)
    )
    if org.kind == "client":
        stmt = stmt.where(Engagement.client_id == org.id)
    else:
        stmt = stmt.where(Engagement.provider_id == org.id, Engagement.status == "active")
    engagement = session.scalar(stmt)
    if engagement is None:
        raise NotFound("No such engagement.")
    return engagement


def _text(raw: Any, limit: int) -> str:
    text = unicodedata.normalize("NFC", str(raw or "")).replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()[:limit]


def _time(raw: Any) -> time | None:
    match = _TIME.match(_text(raw, 8))
    return time(int(match.group(1)), int(match.group(2))) if match else None


def _hours(raw: Any, *, required: bool, minimum: Decimal) -> Decimal | None:
    text = _text(raw, 20).replace(",", ".")
    if not text:
        if required:
            raise ValueError("Give a number of business hours.")
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("Give a number of business hours, e.g. 24 or 7.5.") from None
    if not value.is_finite() or value < minimum or value > MAX_HOURS:
        raise ValueError(f"Give a number from {minimum} to {MAX_HOURS}.")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("Use at most two decimals.")
    return value.quantize(Decimal("0.01"))


def _days_off(raw: Any) -> list[dict[str, str]]:
    """One per line, "2027-12-24 Plant closed"; sorted, each date once."""
    found: dict[str, str] = {}
    lines = [line.strip() for line in _text(raw, 20000).split("\n") if line.strip()]
    if len(lines) > MAX_DAYS_OFF:
        raise ValueError(f"At most {MAX_DAYS_OFF} days off.")
    for number, line in enumerate(lines, start=1):
        day_text, _, label = line.partition(" ")
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            raise ValueError(
                f"Line {number}: start with a date as YYYY-MM-DD, then a label."
            ) from None
        if day.isoformat() in found:
            raise ValueError(f"Line {number}: {day.isoformat()} is listed twice.")
        found[day.isoformat()] = " ".join(label.split())[:100]
    return [{"date": d, "label": found[d]} for d in sorted(found)]


def _parse(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict]:
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    zone = _text(data.get("timezone"), 64)
    if zone and zone not in timezones():
        errors["timezone"] = "Choose a time zone such as Europe/Berlin, or leave it empty."
    values["timezone"] = zone or None
    raw_days = data.get("working_days") or []
    if isinstance(raw_days, str):
        raw_days = list(raw_days.replace(",", ""))
    days = sorted({str(d).strip() for d in raw_days if str(d).strip()})
    if not days or any(d not in {str(k) for k in WEEKDAYS} for d in days):
        errors["working_days"] = "Tick at least one working day."
    values["working_days"] = "".join(days)
    for name in ("day_starts", "day_ends"):
        values[name] = _time(data.get(name))
        if values[name] is None:
            errors[name] = "Give a time as HH:MM, e.g. 09:00."
    starts, ends = values.get("day_starts"), values.get("day_ends")
    if starts and ends and ends <= starts:
        errors["day_ends"] = "The working day must end after it starts."
    country = _text(data.get("holiday_country"), 3).upper()
    subdivision = _text(data.get("holiday_subdivision"), 10).upper()
    countries = supported_countries()
    if country and country not in countries:
        errors["holiday_country"] = (
            "Give a two-letter ISO country the holidays calendar knows (DE, FR, GB, US...)."
        )
    elif subdivision and not country:
        errors["holiday_subdivision"] = "Choose the country first."
    elif subdivision and subdivision not in {s.upper() for s in countries[country]}:
        known = ", ".join(countries[country][:12]) or "none"
        errors["holiday_subdivision"] = (
            f"{country} has no subdivision {subdivision} (known: {known})."
        )
    values["holiday_country"] = country or None
    values["holiday_subdivision"] = (
        next((s for s in countries.get(country, ()) if s.upper() == subdivision), subdivision)
        if subdivision
        else None
    )
    try:
        values["days_off"] = _days_off(data.get("days_off"))
    except ValueError as exc:
        errors["days_off"] = str(exc)
    try:
        values["chase_after_hours"] = _hours(
            data.get("chase_after_hours"), required=False, minimum=Decimal(0)
        )
    except ValueError as exc:
        errors["chase_after_hours"] = str(exc)
    try:
        values["chase_every_hours"] = _hours(
            data.get("chase_every_hours"), required=True, minimum=Decimal("0.25")
        )
    except ValueError as exc:
        errors["chase_every_hours"] = str(exc)
    text = _text(data.get("chase_max"), 6)
    if not text.isdigit() or int(text) > MAX_CHASERS:
        errors["chase_max"] = f"Give a whole number from 0 (no automatic chasers) to {MAX_CHASERS}."
    else:
        values["chase_max"] = int(text)
    values["chase_late_lines"] = _text(data.get("chase_late_lines"), 8).lower() in (
        "1",
        "on",
        "true",
        "yes",
    )
    return values, errors


def _plain(engagement: Engagement) -> dict[str, Any]:
    snap = audit.snapshot(engagement, SETTINGS_FIELDS)
    for name in ("day_starts", "day_ends"):
        snap[name] = snap[name].strftime("%H:%M") if snap[name] is not None else None
    # A list of dicts compares as written; a new list object is not a change.
    snap["days_off"] = list(snap["days_off"] or [])
    return snap


def edit_engagement(
    session: Session,
    provider: Organisation,
    engagement_id: uuid.UUID,
    *,
    what: str,
    action: str,
    snapshot: Callable[[Engagement], dict[str, Any]],
    apply: Callable[[Engagement], None],
) -> Engagement:
    """The provider's edit of one of its active engagements: applied, diffed on
    the normalised ``snapshot``, audited as ``action`` only when something changed."""
    if provider.kind != "provider":
        raise NotFound("No such engagement.")
    engagement = engagement_for(session, provider, engagement_id)
    if engagement.status != "active":
        raise Conflict(f"The engagement is {engagement.status}; its {what} can no longer change.")
    before = snapshot(engagement)
    apply(engagement)
    changes = audit.diff(before, snapshot(engagement))
    if changes:
        audit.record(
            session,
            tenant_id=engagement.client_id,
            provider_id=engagement.provider_id,
            action=action,
            entity_type="engagement",
            entity_id=engagement.id,
            changes=changes,
        )
    return engagement


def update_settings(
    session: Session, provider: Organisation, engagement_id: uuid.UUID, data: Mapping[str, Any]
) -> Engagement:
    """Save the calendar and chaser settings of one of ``provider``'s engagements."""
    values, errors = _parse(data)

    def apply(engagement: Engagement) -> None:
        if errors:
            raise ValidationFailed(errors)
        for name, value in values.items():
            setattr(engagement, name, value)

    return edit_engagement(
        session,
        provider,
        engagement_id,
        what="settings",
        action="engagement.settings_changed",
        snapshot=_plain,
        apply=apply,
    )


def form_values(engagement: Engagement) -> dict[str, Any]:
    """The settings as the form shows them."""
    return {
        "timezone": engagement.timezone or "",
        "working_days": list(engagement.working_days or ""),
        "day_starts": (engagement.day_starts or time(9)).strftime("%H:%M"),
        "day_ends": (engagement.day_ends or time(17)).strftime("%H:%M"),
        "holiday_country": engagement.holiday_country or "",
        "holiday_subdivision": engagement.holiday_subdivision or "",
        "days_off": "\n".join(
            f"{d['date']} {d['label']}".strip() for d in engagement.days_off or []
        ),
        "chase_after_hours": format(engagement.chase_after_hours.normalize(), "f")
        if engagement.chase_after_hours is not None
        else "",
        "chase_every_hours": format(Decimal(engagement.chase_every_hours).normalize(), "f"),
        "chase_max": str(engagement.chase_max),
        "chase_late_lines": bool(engagement.chase_late_lines),
    }
