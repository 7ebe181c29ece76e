"""Audit events in words a person reads: "Supplier updated", "Status: Submitted
→ In review", names instead of ids, lists joined, times on the reader's clock.

The chain stores exact values (codes, ids, ISO times) so it can be verified;
this module only reads them. Each area says how its own things are named in
one small module listed as ``Area.audit_words``, holding any of:

* ``NAMES``: entity type -> ``(session, keys) -> {key: name}``, where ``keys``
  are ``(tenant_id, id)`` pairs taken from events the reader may see, so a
  name is only ever looked up inside the chain that mentions it;
* ``FIELDS``: field name -> the entity type its ids belong to;
* ``ACTIONS``: action -> words ("requirement.start_review" -> "Review started");
* ``VALUES``: field name -> ``(value) -> text`` for structured values.

One statement per kind of thing named, whatever the number of events.
"""

from __future__ import annotations

import importlib
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from baton.platform import formatting
from baton.platform.areas import areas

Keys = set[tuple[uuid.UUID, str]]
Resolver = Callable[[Session, Keys], dict[tuple[uuid.UUID, str], str]]

# Words that read as capitals wherever they appear in a field or action name.
ACRONYMS = {"sla": "SLA", "api": "API", "sha256": "SHA-256", "po": "PO", "csv": "CSV"}
_LINE = re.compile(r"^lines\[(\d+)\]\.?(.*)$")
_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def ids_of(keys: Keys) -> set[uuid.UUID]:
    found = set()
    for _tenant, value in keys:
        try:
            found.add(uuid.UUID(value))
        except ValueError:
            continue
    return found


def names_by_id(keys: Keys, rows: Iterable[tuple[uuid.UUID, uuid.UUID | None, str]]) -> dict:
    """Names for the asked ``(tenant, id)`` pairs; a row of another tenant names nothing."""
    rows = {str(i): (t, name) for i, t, name in rows}
    out = {}
    for tenant, value in keys:
        row = rows.get(value)
        if row is not None and (row[0] is None or row[0] == tenant):
            out[(tenant, value)] = row[1]
    return out


@dataclass(frozen=True)
class Vocabulary:
    names: dict[str, Resolver] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    actions: dict[str, str] = field(default_factory=dict)
    values: dict[str, Callable[[Any], str]] = field(default_factory=dict)


@cache
def vocabulary() -> Vocabulary:
    found = Vocabulary()
    for area in areas():
        for ref in area.audit_words:
            module = importlib.import_module(ref)
            found.names.update(getattr(module, "NAMES", {}))
            found.fields.update(getattr(module, "FIELDS", {}))
            found.actions.update(getattr(module, "ACTIONS", {}))
            found.values.update(getattr(module, "VALUES", {}))
    return found


def words(name: str) -> str:
    """``sla_due_at`` -> "SLA due at", ``is_active`` -> "Active"."""
    parts = [p for p in name.replace(".", "_").split("_") if p]
    if parts[:1] == ["is"]:
        parts = parts[1:]
    if parts[-1:] in (["id"], ["ids"]):
        parts = parts[:-1]
    text = " ".join(ACRONYMS.get(p.lower(), p) for p in parts) or name
    return text[0].upper() + text[1:]


def field_label(path: str) -> str:
    """``lines[2].unit_price`` -> "Line 2 unit price"."""
    match = _LINE.match(path)
    if match:
        rest = words(match.group(2)).lower() if match.group(2) else ""
        return f"Line {match.group(1)} {rest}".strip()
    return words(path)


def action_label(action: str) -> str:
    """``supplier.updated`` -> "Supplier updated"; areas may word their own."""
    known = vocabulary().actions.get(action)
    if known:
        return known
    entity, _, verb = action.partition(".")
    return f"{words(entity)} {words(verb).lower()}" if verb else words(entity)


def _entity_of(path: str) -> str | None:
    """The kind of thing a field's ids point at, if any."""
    vocab = vocabulary()
    name = _LINE.sub(lambda m: m.group(2), path).rsplit(".", 1)[-1]
    if name in vocab.fields:
        return vocab.fields[name]
    for suffix in ("_ids", "_id"):
        if name.endswith(suffix) and name[: -len(suffix)] in vocab.names:
            return name[: -len(suffix)]
    return None


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class EventText:
    event: Any
    action: str
    subject: str | None
    changes: list[Change]
    # The person by name; a token, the system or an address as recorded.
    actor: str


class _Reader:
    def __init__(self, session: Session, events: list, timezone: str | None, locale: str | None):
        self.timezone, self.locale = timezone, locale
        self.names: dict[str, dict[tuple[uuid.UUID, str], str]] = {}
        wanted: dict[str, Keys] = {}
        for e in events:
            wanted.setdefault(e.entity_type, set()).add((e.tenant_id, str(e.entity_id)))
            if e.actor_kind == "user" and e.actor_id:
                wanted.setdefault("user", set()).add((e.tenant_id, str(e.actor_id)))
            for path, pair in (e.changes or {}).items():
                kind = _entity_of(path)
                if kind is None or not isinstance(pair, list | tuple):
                    continue
                for value in pair:
                    for item in value if isinstance(value, list) else [value]:
                        if isinstance(item, str) and _UUID.match(item):
                            wanted.setdefault(kind, set()).add((e.tenant_id, item))
        resolvers = vocabulary().names
        for kind, keys in wanted.items():
            if kind in resolvers and keys:
                self.names[kind] = resolvers[kind](session, keys)

    def name(self, kind: str | None, tenant_id: uuid.UUID, value: str) -> str | None:
        if kind is None:
            return None
        return self.names.get(kind, {}).get((tenant_id, str(value)))

    def text(self, value: Any, path: str, entity_type: str, tenant_id: uuid.UUID) -> str:
        formatter = vocabulary().values.get(path.rsplit(".", 1)[-1])
        if formatter is not None and value not in (None, "", []):
            return formatter(value)
        if value is None or value == "" or value == []:
            return "—"
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, list):
            return ", ".join(self.text(v, path, entity_type, tenant_id) for v in value)
        if isinstance(value, dict):
            return "; ".join(
                f"{words(str(k)).lower()} {self.text(v, str(k), entity_type, tenant_id)}"
                for k, v in value.items()
                if v not in (None, "", [])
            )
        text = str(value)
        if path.rsplit(".", 1)[-1] == "status":
            return _status_label(entity_type, text)
        if _UUID.match(text):
            return self.name(_entity_of(path), tenant_id, text) or "(no longer here)"
        if _DATETIME.match(text):
            return formatting.when(text, self.timezone, self.locale)
        if _DATE.match(text):
            return formatting.day(text, self.locale)
        return text


def _status_label(entity_type: str, status: str) -> str:
    from baton.platform.workflow import MACHINES

    machine = MACHINES.get(entity_type)
    return machine.label(status) if machine is not None else status.replace("_", " ")


def describe(
    session: Session,
    events: Iterable[Any],
    timezone: str | None = None,
    locale: str | None = None,
) -> list[EventText]:
    """Each event with its action, the thing it is about and its field changes in words."""
    events = list(events)
    reader = _Reader(session, events, timezone, locale)
    out = []
    for e in events:
        changes = []
        for path, pair in (e.changes or {}).items():
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                continue
            before = reader.text(pair[0], path, e.entity_type, e.tenant_id)
            after = reader.text(pair[1], path, e.entity_type, e.tenant_id)
            if before != after:  # "— → —" tells nobody anything
                changes.append(Change(path, field_label(path), before, after))
        subject = reader.name(e.entity_type, e.tenant_id, str(e.entity_id))
        actor = e.actor_label
        if e.actor_kind == "user" and e.actor_id:
            actor = reader.name("user", e.tenant_id, e.actor_id) or actor
        out.append(EventText(e, action_label(e.action), subject, changes, actor))
    return out
