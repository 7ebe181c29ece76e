"""Business time on an engagement's calendar: weekends, public holidays, the
engagement's own days off, daylight-saving changes; and, with hypothesis,
the properties every calendar keeps."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baton.tenants.calendars import (
    Calendar,
    add_business_hours,
    business_hours_between,
    describe,
    is_working_day,
    is_working_time,
)

BERLIN = Calendar(timezone="Europe/Berlin", holiday_country="DE", holiday_subdivision="BY")


def local(calendar: Calendar, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=calendar.zone).astimezone(UTC)


def test_friday_afternoon_plus_two_hours_is_monday_morning():
    friday = local(BERLIN, "2027-01-15T16:00")
    assert add_business_hours(BERLIN, friday, 2) == local(BERLIN, "2027-01-18T10:00")
    assert business_hours_between(BERLIN, friday, local(BERLIN, "2027-01-18T10:00")) == 2


def test_a_public_holiday_of_the_region_is_not_worked():
    # Ascension Day (Thursday 6 May 2027) everywhere in Germany; Corpus Christi
    # (27 May) in Bavaria but not in Berlin.
    wednesday = local(BERLIN, "2027-05-05T16:00")
    assert add_business_hours(BERLIN, wednesday, 2) == local(BERLIN, "2027-05-07T10:00")
    assert not is_working_day(BERLIN, date(2027, 5, 27))
    berlin_state = Calendar(
        timezone="Europe/Berlin", holiday_country="DE", holiday_subdivision="BE"
    )
    assert is_working_day(berlin_state, date(2027, 5, 27))


def test_the_engagements_own_days_off_are_skipped():
    calendar = Calendar(timezone="Europe/Berlin", days_off=frozenset({date(2027, 12, 24)}))
    thursday = local(calendar, "2027-12-23T16:00")
    # Friday the 24th is off, then the weekend: Monday the 27th.
    assert add_business_hours(calendar, thursday, 3) == local(calendar, "2027-12-27T11:00")


def test_a_working_window_across_the_spring_change_is_an_hour_shorter():
    # Berlin jumps from 02:00 to 03:00 on Sunday 28 March 2027.
    night = Calendar(
        timezone="Europe/Berlin",
        working_days=frozenset(range(1, 8)),
        day_starts=time(1),
        day_ends=time(5),
    )
    start, end = local(night, "2027-03-28T01:00"), local(night, "2027-03-28T05:00")
    assert end - start == timedelta(hours=3)
    assert business_hours_between(night, start, end) == 3
    assert add_business_hours(night, start, 3) == end
    # And the autumn change (31 October 2027) makes the window an hour longer.
    autumn = local(night, "2027-10-31T01:00")
    assert business_hours_between(night, autumn, autumn + timedelta(hours=6)) == 5


def test_an_hour_in_new_york_is_counted_in_new_york():
    new_york = Calendar(timezone="America/New_York", holiday_country="US")
    # 14:00 UTC on 10 March 2027 is 09:00 in New York (EST); after 14 March, 10:00 (EDT).
    assert add_business_hours(new_york, datetime(2027, 3, 10, 14, tzinfo=UTC), 1) == datetime(
        2027, 3, 10, 15, tzinfo=UTC
    )
    assert add_business_hours(new_york, datetime(2027, 3, 15, 12, tzinfo=UTC), 1) == datetime(
        2027, 3, 15, 14, tzinfo=UTC
    )
    assert not is_working_day(new_york, date(2027, 7, 5))  # Independence Day observed


def test_before_opening_counts_from_the_opening():
    calendar = Calendar()
    early = datetime(2027, 1, 12, 5, tzinfo=UTC)
    assert add_business_hours(calendar, early, Decimal("0.5")) == datetime(
        2027, 1, 12, 9, 30, tzinfo=UTC
    )
    assert business_hours_between(calendar, early, datetime(2027, 1, 12, 9, tzinfo=UTC)) == 0


def test_lateness_reads_in_business_days_and_hours():
    assert describe(Decimal("5.5"), Calendar()) == "5.5 business hours"
    assert describe(Decimal("26"), Calendar()) == "3 business days 2 h"
    assert describe(Decimal("8"), Calendar()) == "1 business day"


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_hours(Calendar(), datetime(2027, 1, 1, 9), 1)


# --- properties --------------------------------------------------------------------------

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
calendars = st.builds(
    Calendar,
    timezone=st.sampled_from(ZONES),
    working_days=st.frozensets(st.integers(1, 7), min_size=1),
    day_starts=st.sampled_from([time(0), time(7, 30), time(9)]),
    day_ends=st.sampled_from([time(12), time(17), time(23, 59)]),
    holiday_country=st.sampled_from([None, "DE", "US", "GB"]),
    days_off=st.frozensets(st.dates(date(2026, 1, 1), date(2028, 12, 31)), max_size=30),
)
moments = st.datetimes(datetime(2026, 1, 1), datetime(2028, 6, 30), timezones=st.just(UTC))
hours = st.decimals(min_value=0, max_value=400, places=2)


@settings(max_examples=150, deadline=None)
@given(calendars, moments, hours)
def test_adding_then_measuring_gives_back_the_hours(calendar, start, h):
    end = add_business_hours(calendar, start, h)
    assert end >= start
    assert business_hours_between(calendar, start, end) == h


@settings(max_examples=150, deadline=None)
@given(calendars, moments, hours, hours)
def test_more_hours_never_end_earlier(calendar, start, a, b):
    low, high = sorted((a, b))
    assert add_business_hours(calendar, start, low) <= add_business_hours(calendar, start, high)


@settings(max_examples=150, deadline=None)
@given(calendars, moments, hours.filter(lambda h: h > 0))
def test_a_deadline_never_lands_outside_working_hours(calendar, start, h):
    assert is_working_time(calendar, add_business_hours(calendar, start, h))


@settings(max_examples=100, deadline=None)
@given(calendars, moments, st.integers(0, 2000), st.integers(0, 2000))
def test_business_time_adds_up_over_consecutive_spans(calendar, start, a, b):
    middle = start + timedelta(hours=a)
    end = middle + timedelta(hours=b)
    whole = business_hours_between(calendar, start, end)
    parts = business_hours_between(calendar, start, middle) + business_hours_between(
        calendar, middle, end
    )
    assert abs(whole - parts) <= Decimal("0.000002")  # each part rounded to 3.6 ms
    assert whole <= Decimal(a + b)
