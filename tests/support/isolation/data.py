"""The victim's data: its rows in every tenant-scoped table (reflected, so it
follows the migrations) and its users, compared before and after requests;
victim markers in responses; victim ids kept in an attacker's rows."""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from baton.platform.db import Base, db
from baton.platform.models_registry import load_all_models
from baton.platform.tenancy import SERVICE_CONTEXT
from tests.support.isolation.victim import Victim

if TYPE_CHECKING:
    from tests.support.isolation.bodies import Body

OWNER_COLUMNS = ("tenant_id", "organisation_id", "client_id")

# --- what a response shows ------------------------------------------------------


def sent_values(path: str, body: Body | None) -> set[str]:
    return {path, *(body.sent() if body else ())}


def text_of(response) -> str:
    # Downloads (PDFs, spreadsheets) are bytes; markers are ASCII either way.
    return response.get_data().decode("utf-8", errors="replace")


def leaked_markers(
    body: str, victims: Victim | Iterable[Victim], sent: Iterable[str], ids_too: bool
) -> list[str]:
    """Victim markers in a response, except those the caller sent itself."""
    sent_text = " ".join(sent)
    markers: set[str] = set()
    for victim in [victims] if isinstance(victims, Victim) else victims:
        markers |= victim.text_markers | (victim.id_markers if ids_too else set())
    return sorted(m for m in markers if m in body and m not in sent_text)


# --- the victim's rows ----------------------------------------------------------

Snapshot = dict[str, tuple[str, ...]]


# Reflected once per engine: the schema does not change while the suite runs.
_REFLECTED: weakref.WeakKeyDictionary[sa.Engine, sa.MetaData] = weakref.WeakKeyDictionary()


def _owned_tables(session: Session) -> tuple[list[sa.Table], sa.Table]:
    """Tables as the database has them (reflected, so a model edited ahead of
    its migration does not break the snapshot), with the owner columns."""
    load_all_models()
    engine = session.get_bind()
    if engine not in _REFLECTED:
        _REFLECTED[engine] = sa.MetaData()
        _REFLECTED[engine].reflect(bind=session.connection())
    reflected = _REFLECTED[engine]
    owned = [
        table for table in reflected.sorted_tables if any(name in table.c for name in OWNER_COLUMNS)
    ]
    missing = sorted(
        t.name
        for t in Base.metadata.sorted_tables
        if any(n in t.c for n in OWNER_COLUMNS) and t.name not in reflected.tables
    )
    assert not missing, f"models without a migrated table: {missing}"
    return owned, reflected.tables["users"]


def _is(column: sa.Column, value: uuid.UUID):
    # Bound as a Uuid whatever the reflected type: SQLite stores 32 hex digits.
    return column == sa.bindparam(None, value, type_=sa.Uuid())


def snapshot(app: Flask, victim: Victim) -> Snapshot:
    """Every victim row of every tenant-scoped table, and the victim's users."""
    return _rows_of(app, victim.org_id, victim.user_ids)


def _rows_of(app: Flask, org_id: uuid.UUID, user_ids: Iterable[uuid.UUID] = ()) -> Snapshot:
    out: Snapshot = {}
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            tables, users = _owned_tables(session)
            for table in tables:
                owners = [table.c[name] for name in OWNER_COLUMNS if name in table.c]
                rows = session.execute(
                    sa.select(table).where(sa.or_(*(_is(c, org_id) for c in owners)))
                ).all()
                out[table.name] = tuple(sorted(repr(tuple(r)) for r in rows))
            people = session.execute(
                sa.select(users).where(sa.or_(sa.false(), *(_is(users.c.id, u) for u in user_ids)))
            ).all()
            out["users (the victim's people)"] = tuple(sorted(repr(tuple(r)) for r in people))
        finally:
            session.rollback()
            session.close()
    return out


def foreign_references(
    app: Flask, org_id: uuid.UUID, victims: Iterable[Victim], allowed: set[str]
) -> list[str]:
    """Rows of the attacker's own organisation that now hold a victim id: a
    create or update accepted a foreign id (``supplier_id=<acme's>``) in its body."""
    ids = {i for v in victims for i in v.id_markers} - allowed
    found = set()
    for table, rows in _rows_of(app, org_id).items():
        for row in rows:
            # SQLite keeps a UUID as 32 hex digits, PostgreSQL as a UUID.
            found |= {f"{table} holds {i}" for i in ids if i in row or i.replace("-", "") in row}
    return sorted(found)


def changed_tables(before: Snapshot, after: Snapshot) -> list[str]:
    changed = []
    for name in sorted(set(before) | set(after)):
        old, new = set(before.get(name, ())), set(after.get(name, ()))
        if old != new:
            changed.append(f"{name} (-{len(old - new)} +{len(new - old)} rows)")
    return changed
