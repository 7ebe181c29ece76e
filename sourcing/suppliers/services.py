"""Suppliers: the client's qualified supplier list.

Every function takes the session and the tenant (the client organisation whose
list it is) explicitly. A provider engaged by the client reads through the same
lookups with the client's tenant id; the session's tenant context and
PostgreSQL row-level security decide whether it may, and only the client may
write. Lookups by id answer ``NotFound`` for missing and foreign ids alike.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform import audit
from baton.platform.db import utc_today, utcnow
from baton.platform.errors import NotFound, ValidationFailed
from baton.platform.inputs import check_page
from baton.platform.search import LIKE_ESCAPE, contains, escape_like
from baton.sourcing.suppliers.fields import FIELDS, clean
from baton.sourcing.suppliers.models import Supplier

STATUS_LABELS = {
    "qualified": "Qualified",
    "conditional": "Conditionally qualified",
    "suspended": "Suspended",
    "disqualified": "Disqualified",
}

PER_PAGE = 50


# --- how a supplier's qualification reads ---------------------------------------


def qualification_lapsed(supplier: Supplier, today: date | None = None) -> bool:
    return supplier.qualification_lapsed(today or utc_today())


def qualification_label(supplier: Supplier, today: date | None = None) -> str:
    """The words shown wherever the supplier appears: a lapsed date wins over the status."""
    today = today or utc_today()
    if supplier.qualification_lapsed(today):
        return f"Qualification lapsed on {supplier.qualified_until.isoformat()}"
    label = STATUS_LABELS.get(supplier.qualification_status, supplier.qualification_status)
    if supplier.qualification_status in ("qualified", "conditional") and supplier.qualified_until:
        return f"{label} until {supplier.qualified_until.isoformat()}"
    return label


# --- reads ----------------------------------------------------------------------


def get_supplier(session: Session, tenant_id: uuid.UUID, supplier_id: uuid.UUID) -> Supplier:
    supplier = session.scalar(
        sa.select(Supplier).where(Supplier.tenant_id == tenant_id, Supplier.id == supplier_id)
    )
    if supplier is None:
        raise NotFound("No such supplier.")
    return supplier


def find_by_code(session: Session, tenant_id: uuid.UUID, code: str) -> Supplier | None:
    return session.scalar(
        sa.select(Supplier).where(
            Supplier.tenant_id == tenant_id, Supplier.code == (code or "").strip().upper()
        )
    )


@dataclass
class SupplierFilters:
    q: str | None = None
    status: str | None = None
    category: str | None = None
    lapsed: bool | None = None


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _filtered(tenant_id: uuid.UUID, filters: SupplierFilters, today: date) -> sa.Select:
    stmt = sa.select(Supplier).where(Supplier.tenant_id == tenant_id)
    if filters.q:
        pattern = contains(filters.q)
        stmt = stmt.where(
            sa.or_(
                Supplier.name.ilike(pattern, escape=LIKE_ESCAPE),
                Supplier.code.ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
    if filters.status:
        stmt = stmt.where(Supplier.qualification_status == filters.status)
    if filters.category:
        # The JSON list's text holds each category as a JSON string; this matches on
        # PostgreSQL and SQLite alike without a JSON operator either lacks.
        token = escape_like(json.dumps(filters.category.strip()))
        stmt = stmt.where(
            sa.cast(Supplier.categories, sa.Text).ilike(f"%{token}%", escape=LIKE_ESCAPE)
        )
    if filters.lapsed is True:
        stmt = stmt.where(Supplier.qualified_until < today)
    elif filters.lapsed is False:
        stmt = stmt.where(
            sa.or_(Supplier.qualified_until.is_(None), Supplier.qualified_until >= today)
        )
    return stmt


def list_suppliers(
    session: Session,
    tenant_id: uuid.UUID,
    filters: SupplierFilters | None = None,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
    today: date | None = None,
) -> Page:
    filters = filters or SupplierFilters()
    stmt = _filtered(tenant_id, filters, today or utc_today())
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    page = check_page(page)
    items = list(
        session.scalars(
            stmt.order_by(Supplier.name, Supplier.code)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return Page(items, total, page, per_page)


def supplier_choices(
    session: Session, tenant_id: uuid.UUID, *, usable_only: bool = False, today: date | None = None
) -> list[Supplier]:
    """All suppliers by name, e.g. for a select box; ``usable_only`` drops suspended,
    disqualified and lapsed ones."""
    suppliers = list(
        session.scalars(
            sa.select(Supplier).where(Supplier.tenant_id == tenant_id).order_by(Supplier.name)
        )
    )
    if usable_only:
        today = today or utc_today()
        suppliers = [s for s in suppliers if s.is_usable(today)]
    return suppliers


def categories_in_use(session: Session, tenant_id: uuid.UUID) -> list[str]:
    seen: dict[str, str] = {}
    for categories in session.scalars(
        sa.select(Supplier.categories).where(Supplier.tenant_id == tenant_id)
    ):
        for c in categories or []:
            seen.setdefault(c.casefold(), c)
    return sorted(seen.values(), key=str.casefold)


# --- writes ---------------------------------------------------------------------


def _check_code_free(
    session: Session, tenant_id: uuid.UUID, code: str, except_id: uuid.UUID | None = None
) -> None:
    existing = find_by_code(session, tenant_id, code)
    if existing is not None and existing.id != except_id:
        raise ValidationFailed(
            {"code": f"Another supplier ({existing.name}) already has code {code}."}
        )


def create_supplier(
    session: Session,
    tenant_id: uuid.UUID,
    data: Mapping[str, Any],
    *,
    created_by_id: uuid.UUID | None = None,
    action: str = "supplier.created",
) -> Supplier:
    values, errors = clean(data)
    if errors:
        raise ValidationFailed(errors)
    _check_code_free(session, tenant_id, values["code"])
    values.setdefault("qualification_status", "qualified")
    values.setdefault("categories", [])
    supplier = Supplier(id=uuid.uuid4(), tenant_id=tenant_id, created_by_id=created_by_id, **values)
    session.add(supplier)
    session.flush([supplier])
    audit.record(
        session,
        tenant_id=tenant_id,
        action=action,
        entity_type="supplier",
        entity_id=supplier.id,
        changes=audit.diff({}, audit.snapshot(supplier, FIELDS)),
    )
    return supplier


def update_supplier(
    session: Session,
    tenant_id: uuid.UUID,
    supplier_id: uuid.UUID,
    data: Mapping[str, Any],
    *,
    action: str = "supplier.updated",
) -> Supplier:
    """Change the fields given; an edit that changes nothing writes nothing."""
    supplier = get_supplier(session, tenant_id, supplier_id)
    return _apply(session, supplier, data, action)


def _apply(session: Session, supplier: Supplier, data: Mapping[str, Any], action: str) -> Supplier:
    values, errors = clean(data, partial=True)
    if errors:
        raise ValidationFailed(errors)
    if "code" in values:
        _check_code_free(session, supplier.tenant_id, values["code"], supplier.id)
    before = audit.snapshot(supplier, FIELDS)
    changes = audit.diff(before, {**before, **values})
    if not changes:
        return supplier
    for name, value in values.items():
        setattr(supplier, name, value)
    supplier.updated_at = utcnow()
    session.flush([supplier])
    audit.record(
        session,
        tenant_id=supplier.tenant_id,
        action=action,
        entity_type="supplier",
        entity_id=supplier.id,
        changes=changes,
    )
    return supplier


def history(session: Session, tenant_id: uuid.UUID, supplier_id: uuid.UUID) -> list:
    get_supplier(session, tenant_id, supplier_id)
    return audit.events_for(session, tenant_id, "supplier", supplier_id)


# --- CSV import -----------------------------------------------------------------


@dataclass
class ImportReport:
    created: list[Supplier] = field(default_factory=list)
    updated: list[Supplier] = field(default_factory=list)
    unchanged: int = 0

    @property
    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, {self.unchanged} unchanged."
        )


def import_rows(
    session: Session,
    tenant_id: uuid.UUID,
    header: list[str],
    rows: Iterable[tuple[int, list[str]]],
    *,
    created_by_id: uuid.UUID | None = None,
) -> ImportReport:
    """Validate every row first; write only if none failed. A row whose code exists
    updates that supplier (only the columns the file has), otherwise it creates one."""
    from baton.sourcing.suppliers.csv_import import plan_import

    plan = plan_import(session, tenant_id, header, rows)
    report = ImportReport()
    for _row_no, values, existing in plan:
        if existing is None:
            report.created.append(
                create_supplier(
                    session,
                    tenant_id,
                    values,
                    created_by_id=created_by_id,
                    action="supplier.imported",
                )
            )
        else:
            before = audit.snapshot(existing, FIELDS)
            _apply(session, existing, values, "supplier.import_updated")
            if audit.diff(before, audit.snapshot(existing, FIELDS)):
                report.updated.append(existing)
            else:
                report.unchanged += 1
    return report


def import_csv(
    session: Session,
    tenant_id: uuid.UUID,
    data: bytes,
    *,
    created_by_id: uuid.UUID | None = None,
) -> ImportReport:
    """Import suppliers from CSV bytes (UTF-8, a BOM from Excel is fine)."""
    from baton.sourcing.suppliers.csv_import import read_csv

    header, rows = read_csv(data)
    return import_rows(session, tenant_id, header, rows, created_by_id=created_by_id)
