"""Business time on an engagement's calendar: pure arithmetic, no database.

A calendar is a time zone, the working days of the week, one working window
per day (09:00-17:00 by default), public holidays from the ``holidays``
package (a country and, optionally, a subdivision) and the engagement's own
days off. Business time is the real time elapsed inside working windows:
each window is laid out in the calendar's zone and turned into UTC, so a
daylight-saving change inside a window makes that day an hour shorter or
longer, as the clock on the wall says.

Everything takes and returns UTC-aware datetimes; hours are Decimal. The SLA
clocks (issue 10) and the supplier chasers count on the same functions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# ISO weekdays (Monday 1 ... Sunday 7).
WEEKDAYS = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}
# How far the arithmetic looks for a working window before it gives up: a
# calendar with no working day at all in ten years is a configuration error.
HORIZON_DAYS = 3660
_US_PER_HOUR = Decimal(3_600_000_000)
_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class Calendar:
    timezone: str = "UTC"
    working_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    day_starts: time = time(9)
    day_ends: time = time(17)
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    days_off: frozenset[date] = field(default_factory=frozenset)

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    @property
    def hours_per_day(self) -> Decimal:
        """A working day's length on the clock face (what "a business day" means)."""
        start = self.day_starts.hour * 60 + self.day_starts.minute
        end = self.day_ends.hour * 60 + self.day_ends.minute
        return Decimal(end - start) / 60


@cache
def public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    import holidays

    try:
        found = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    except NotImplementedError:  # a country the package no longer knows: none
        return frozenset()
    return frozenset(found.keys())


def holiday_name(calendar: Calendar, day: date) -> str | None:
    if not calendar.holiday_country:
        return None
    import holidays

    try:
        found = holidays.country_holidays(
            calendar.holiday_country, subdiv=calendar.holiday_subdivision or None, years=day.year
        )
    except NotImplementedError:
        return None
    return found.get(day)


def is_working_day(calendar: Calendar, day: date) -> bool:
    if day.isoweekday() not in calendar.working_days or day in calendar.days_off:
        return False
    if calendar.holiday_country:
        hols = public_holidays(calendar.holiday_country, calendar.holiday_subdivision, day.year)
        if day in hols:
            return False
    return True


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("business time needs timezone-aware datetimes")
    return value.astimezone(UTC)


def window(calendar: Calendar, day: date) -> tuple[datetime, datetime] | None:
    """The working window of ``day`` in UTC, or None on a day off."""
    if not is_working_day(calendar, day):
        return None
    zone = calendar.zone
    start = datetime.combine(day, calendar.day_starts, zone).astimezone(UTC)
    end = datetime.combine(day, calendar.day_ends, zone).astimezone(UTC)
    return (start, end) if end > start else None


def _windows_from(calendar: Calendar, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working windows that end after ``moment``, in order."""
    day = moment.astimezone(calendar.zone).date() - timedelta(days=1)
    for _ in range(HORIZON_DAYS):
        found = window(calendar, day)
        if found is not None and found[1] > moment:
            yield found
        day += timedelta(days=1)
    raise ValueError("the calendar has no working time within ten years")


def add_business_hours(calendar: Calendar, start: datetime, hours: Decimal | int) -> datetime:
    """The first moment at which ``hours`` of business time have passed since ``start``."""
    start = _utc(start)
    remaining = int((Decimal(hours) * _US_PER_HOUR).to_integral_value())
    if remaining < 0:
        raise ValueError("hours must not be negative")
    if remaining == 0:
        return start
    for begin, end in _windows_from(calendar, start):
        begin = max(begin, start)
        available = (end - begin) // timedelta(microseconds=1)
        if remaining <= available:
            return begin + timedelta(microseconds=remaining)
        remaining -= available
    raise AssertionError("unreachable")  # pragma: no cover - _windows_from raises first


def business_hours_between(calendar: Calendar, start: datetime, end: datetime) -> Decimal:
    """Business hours from ``start`` to ``end`` (0 when ``end`` is not later)."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return Decimal(0)
    total = 0
    day = start.astimezone(calendar.zone).date() - timedelta(days=1)
    last = end.astimezone(calendar.zone).date() + timedelta(days=1)
    while day <= last:
        found = window(calendar, day)
        if found is not None:
            begin, finish = max(found[0], start), min(found[1], end)
            if finish > begin:
                total += (finish - begin) // timedelta(microseconds=1)
        day += timedelta(days=1)
    # Six places (3.6 ms): exact for any whole number of seconds, readable everywhere.
    return (Decimal(total) / _US_PER_HOUR).quantize(_PLACES)


def is_working_time(calendar: Calendar, moment: datetime) -> bool:
    """Inside a working window (both ends included)."""
    moment = _utc(moment)
    local_day = moment.astimezone(calendar.zone).date()
    for day in (local_day - timedelta(days=1), local_day, local_day + timedelta(days=1)):
        found = window(calendar, day)
        if found is not None and found[0] <= moment <= found[1]:
            return True
    return False


def day_end(calendar: Calendar, day: date) -> datetime:
    """Midnight after ``day`` in the calendar's zone, in UTC: when a date has passed."""
    return datetime.combine(day + timedelta(days=1), time(0), calendar.zone).astimezone(UTC)


def local_today(calendar: Calendar, now: datetime) -> date:
    return _utc(now).astimezone(calendar.zone).date()


def describe(hours: Decimal, calendar: Calendar) -> str:
    """``hours`` for people: "5.5 business hours" or "3 business days 2 h"."""
    hours = Decimal(hours).quantize(Decimal("0.1"))
    per_day = calendar.hours_per_day
    if per_day <= 0 or hours < per_day:
        return f"{_plain(hours)} business hour{'' if hours == 1 else 's'}"
    days, rest = divmod(hours, per_day)
    text = f"{int(days)} business day{'' if days == 1 else 's'}"
    return text + (f" {_plain(rest.quantize(Decimal('0.1')))} h" if rest else "")


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
