"""The organisation's audit log as people read it: filtered by what the event
is about, who acted and when (days in the organisation's time zone), and
each event linked to its object's page where the object has one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from baton.platform import audit
from baton.platform.areas import entity_links
from baton.tenants.models import Organisation

PAGE_LIMIT = 100


@dataclass
class AuditFilters:
    entity_type: str | None = None
    actor: str | None = None  # an actor id as recorded (a user or a token)
    date_from: date | None = None
    date_to: date | None = None


def filters_from(args: Any) -> tuple[AuditFilters, dict[str, str]]:
    """The page's query string; a malformed date is dropped and reported by name."""
    problems: dict[str, str] = {}

    def day(name: str) -> date | None:
        value = (args.get(name) or "").strip()
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            problems[name] = "Enter a date as YYYY-MM-DD."
            return None

    filters = AuditFilters(
        entity_type=(args.get("entity_type") or "").strip() or None,
        actor=(args.get("actor") or "").strip() or None,
        date_from=day("from"),
        date_to=day("to"),
    )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        problems["to"] = "The end of the period is before its start."
        filters.date_to = None
    return filters, problems


def _zone(org: Organisation) -> ZoneInfo:
    try:
        return ZoneInfo(org.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _visible(org_id: uuid.UUID) -> sa.ColumnElement:
    # Its own chain and, for a provider, what its people wrote into its clients'.
    event = audit.AuditEvent
    return sa.or_(event.tenant_id == org_id, event.provider_id == org_id)


def read_audit(
    session: Session, org: Organisation, filters: AuditFilters, *, limit: int = PAGE_LIMIT
) -> list[audit.AuditEvent]:
    """Newest first; ``date_to`` includes that whole day in the organisation's zone."""
    event = audit.AuditEvent
    stmt = sa.select(event).where(_visible(org.id))
    if filters.entity_type:
        stmt = stmt.where(event.entity_type == filters.entity_type)
    if filters.actor:
        stmt = stmt.where(event.actor_id == filters.actor)
    zone = _zone(org)
    if filters.date_from:
        stmt = stmt.where(event.created_at >= _midnight(filters.date_from, zone))
    if filters.date_to:
        stmt = stmt.where(event.created_at < _midnight(filters.date_to + timedelta(days=1), zone))
    return list(
        session.scalars(stmt.order_by(event.created_at.desc(), event.seq.desc()).limit(limit))
    )


def audit_choices(session: Session, org: Organisation) -> dict[str, list]:
    """What the filters offer: the entity types and the actors that occur."""
    event = audit.AuditEvent
    types = session.scalars(
        sa.select(event.entity_type).where(_visible(org.id)).distinct().order_by(event.entity_type)
    )
    actors = session.execute(
        sa.select(event.actor_id, sa.func.max(event.actor_label))
        .where(_visible(org.id), event.actor_id.is_not(None))
        .group_by(event.actor_id)
        .order_by(sa.func.max(event.actor_label))
    )
    return {"entity_types": list(types), "actors": [(i, label) for i, label in actors]}


def local_time(org: Organisation, value: datetime) -> str:
    """An event's time on the organisation's clock, as the filters read days."""
    return value.astimezone(_zone(org)).strftime("%Y-%m-%d %H:%M:%S")


def entity_url(kind: str, entity_type: str, entity_id: str) -> str | None:
    """The page of the event's object for this kind of organisation, if it has one."""
    link = entity_links().get((kind, entity_type))
    if link is None:
        return None
    try:
        return url_for(link.endpoint, **{link.argument: uuid.UUID(entity_id)})
    except (ValueError, BuildError):
        return None


def changes_text(changes: dict | None) -> str:
    """``field: before → after; …`` for one cell of an export."""
    parts = []
    for name, change in (changes or {}).items():
        if isinstance(change, list | tuple) and len(change) == 2:
            before, after = ("∅" if v is None else v for v in change)
            parts.append(f"{name}: {before} → {after}")
        else:
            parts.append(f"{name}: {change}")
    return "; ".join(parts)
