"""Order numbers per client: ACME-000123, gap-free, safe under concurrent creation.

The counter row is incremented with one UPDATE ... RETURNING, which holds its
row lock until the creating transaction ends: a second buyer creating an order
for the same client waits, then takes the next number. A rolled-back creation
rolls the counter back with it, so no number is ever skipped.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.procurement.orders.models import PONumberCounter
from baton.tenants.models import Organisation

DIGITS = 6


def next_number(session: Session, tenant_id: uuid.UUID) -> str:
    table = PONumberCounter.__table__
    bump = (
        sa.update(table)
        .where(table.c.tenant_id == tenant_id)
        .values(last=table.c.last + 1)
        .returning(table.c.last)
    )
    last = session.execute(bump).scalar()
    if last is None:
        # First order of this client: create the row, racing creators agree on it.
        insert = _insert_ignoring_duplicate(session, table, tenant_id)
        session.execute(insert)
        last = session.execute(bump).scalar_one()
    prefix = session.get(Organisation, tenant_id).code
    return f"{prefix}-{last:0{DIGITS}d}"


def _insert_ignoring_duplicate(session: Session, table, tenant_id: uuid.UUID):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        return insert(table).values(tenant_id=tenant_id, last=0).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert

    return insert(table).values(tenant_id=tenant_id, last=0).on_conflict_do_nothing()
