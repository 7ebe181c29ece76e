"""Clock stops: an interval split by whom it waited on, in business hours.

The workflow machine records every status change in the audit trail, and
each machine says whom a status waits on (``Machine.waits_on``). A subject's
status history therefore is a timeline of parties; an interval (handoff to
release, release to acknowledgement...) is cut along it and each piece is
counted on the engagement's business calendar. Time on nobody's clock (a
resolved issue) counts in the total only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from baton.tenants.calendars import Calendar, add_business_hours, business_hours_between

PARTIES = ("provider", "client", "supplier")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Segment:
    start: datetime
    end: datetime
    party: str | None


def timeline(
    changes: Sequence[tuple[datetime, str | None]], start: datetime, end: datetime
) -> list[Segment]:
    """``changes`` (moment, party from then on), sorted, cut to [start, end]."""
    found: list[Segment] = []
    party: str | None = None
    for at, who in changes:
        if at <= start:
            party = who
    cursor = start
    for at, who in changes:
        if at <= start:
            continue
        if at >= end:
            break
        if at > cursor:
            found.append(Segment(cursor, at, party))
        cursor, party = at, who
    if end > cursor:
        found.append(Segment(cursor, end, party))
    return found


def overlay(
    segments: list[Segment], windows: Iterable[tuple[datetime, datetime]], party: str
) -> list[Segment]:
    """``segments`` with every moment inside one of ``windows`` given to ``party``
    (a requirement waiting on the provider while its order waits for the client's
    approval is the client's time)."""
    result = segments
    for w_start, w_end in windows:
        cut: list[Segment] = []
        for seg in result:
            lo, hi = max(seg.start, w_start), min(seg.end, w_end)
            if hi <= lo or seg.party == party:
                cut.append(seg)
                continue
            if seg.start < lo:
                cut.append(Segment(seg.start, lo, seg.party))
            cut.append(Segment(lo, hi, party))
            if hi < seg.end:
                cut.append(Segment(hi, seg.end, seg.party))
        result = cut
    return result


def windows_of(
    changes: Sequence[tuple[datetime, str | None]], party: str, until: datetime
) -> list[tuple[datetime, datetime]]:
    """The intervals in which a status history waited on ``party`` (up to ``until``)."""
    found = []
    opened: datetime | None = None
    for at, who in changes:
        if who == party and opened is None:
            opened = at
        elif who != party and opened is not None:
            found.append((opened, at))
            opened = None
    if opened is not None and until > opened:
        found.append((opened, until))
    return found


@dataclass(frozen=True)
class Split:
    elapsed: Decimal
    provider: Decimal
    client: Decimal
    supplier: Decimal

    def of(self, party: str) -> Decimal:
        return getattr(self, party)


def split(calendar: Calendar, segments: Iterable[Segment]) -> Split:
    hours = dict.fromkeys(PARTIES, ZERO)
    total = ZERO
    for seg in segments:
        h = business_hours_between(calendar, seg.start, seg.end)
        total += h
        if seg.party in hours:
            hours[seg.party] += h
    return Split(total, hours["provider"], hours["client"], hours["supplier"])


@dataclass(frozen=True)
class Verdict:
    within: bool | None
    owner_met: bool | None
    breach_party: str | None
    due_at: datetime | None


def judge(
    calendar: Calendar,
    parts: Split,
    *,
    owner: str,
    limit: Decimal | None,
    start: datetime,
    ended: bool,
    now: datetime,
    running: str | None = None,
) -> Verdict:
    """Within the limit on all time, and on the owner's own time; whose time a miss was.

    Open measures are judged as soon as the limit has passed (a breach need not
    wait for the end); ``due_at`` is the next moment a judgement could change:
    the owner's limit when the owner's clock is running, else the total's.
    """
    if limit is None:
        return Verdict(None, None, None, None)
    over = parts.elapsed > limit
    owner_over = parts.of(owner) > limit
    within = (not over) if ended or over else None
    owner_met = (not owner_over) if ended or owner_over else None
    party = None
    if over:
        if owner_over:
            party = owner
        else:
            others = [p for p in PARTIES if p != owner]
            party = max(others, key=lambda p: (parts.of(p), -PARTIES.index(p)))
            if parts.of(party) == 0:
                party = owner
    due = None
    if not ended:
        if running == owner and not owner_over:
            due = add_business_hours(calendar, now, limit - parts.of(owner))
        elif not over:
            due = add_business_hours(calendar, start, limit)
    return Verdict(within, owner_met, party, due)
