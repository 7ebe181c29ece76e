"""The orders list as its readers filter it, and its export line by line.

One set of filters serves the client's open-orders page, the buyer's list,
their CSV/XLSX exports and ``GET /api/v1/purchase-orders``: a status (or a
status group), a supplier, a requirement reference, a promised-date range,
overdue (released, not fully received, a line past its promised date) and a
text search on the order number and line descriptions. A page drops a value
it cannot read and says which; the API answers 422 naming it.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.db import utc_today
from baton.platform.engine import PREPARED
from baton.platform.errors import ValidationFailed
from baton.platform.planner import in_index_order, with_sorting
from baton.platform.search import LIKE_ESCAPE, contains
from baton.procurement.orders.acknowledgements import OUTCOME_LABELS
from baton.procurement.orders.drafting import line_total
from baton.procurement.orders.models import POAcknowledgement, POLine, PurchaseOrder
from baton.procurement.orders.queries import WITH_LINES
from baton.procurement.orders.states import PURCHASE_ORDER
from baton.sourcing.requirements.models import Requirement
from baton.sourcing.suppliers.models import Supplier

SEARCH_LIMIT = 80


@dataclass(frozen=True)
class OrderFilters:
    status: str | None = None
    supplier_id: uuid.UUID | None = None
    requirement: str | None = None
    promised_from: date | None = None
    promised_to: date | None = None
    overdue: bool = False
    q: str | None = None

    def args(self) -> dict[str, str]:
        """The filters as query-string values, for links that keep them."""
        out = {}
        for key, value in asdict(self).items():
            if value in (None, False, ""):
                continue
            out[key] = "1" if value is True else str(value)
        return out

    @property
    def active(self) -> bool:
        return bool(self.args())


def _date(raw: Any, name: str, errors: dict) -> date | None:
    text = (str(raw) if raw is not None else "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = f"{text[:20]!r} is not a date; write it as YYYY-MM-DD."
        return None


def parse(args: Any) -> tuple[OrderFilters, dict[str, str]]:
    """Filters from a query string; each value that cannot be read is left out
    and named in the errors."""
    errors: dict[str, str] = {}
    status = (args.get("status") or "").strip() or None
    if status and not PURCHASE_ORDER.is_known_filter(status):
        errors["status"] = f"{status[:30]!r} is not a status; the list shows every status."
        status = None
    supplier_id = None
    raw_supplier = (args.get("supplier_id") or "").strip()
    if raw_supplier:
        try:
            supplier_id = uuid.UUID(raw_supplier)
        except ValueError:
            errors["supplier_id"] = "Choose a supplier from the list."
    text = {}
    for name in ("requirement", "q"):
        value = (args.get(name) or "").strip()[:SEARCH_LIMIT]
        if "\x00" in value:
            errors[name] = "Remove the NUL character from the search."
            value = ""
        text[name] = value or None
    promised_from = _date(args.get("promised_from"), "promised_from", errors)
    promised_to = _date(args.get("promised_to"), "promised_to", errors)
    if promised_from and promised_to and promised_from > promised_to:
        errors["promised_to"] = "The range ends before it starts."
        promised_to = None
    overdue = (args.get("overdue") or "").strip().lower() in ("1", "true", "yes", "on")
    return (
        OrderFilters(
            status=status,
            supplier_id=supplier_id,
            requirement=text["requirement"],
            promised_from=promised_from,
            promised_to=promised_to,
            overdue=overdue,
            q=text["q"],
        ),
        errors,
    )


def from_api(args: dict) -> OrderFilters:
    """Filters from the API's parsed query (its schema has checked each value)."""
    for name in ("q", "requirement"):
        if args.get(name) and "\x00" in args[name]:
            raise ValidationFailed({name: "Remove the NUL character from the search."})
    return OrderFilters(
        status=args.get("status"),
        supplier_id=args.get("supplier_id"),
        requirement=args.get("requirement"),
        promised_from=args.get("promised_from"),
        promised_to=args.get("promised_to"),
        overdue=bool(args.get("overdue")),
        q=args.get("q"),
    )


def _line_exists(*conditions) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        POLine.po_id == PurchaseOrder.id, POLine.tenant_id == PurchaseOrder.tenant_id, *conditions
    )


def conditions(f: OrderFilters, today: date | None = None) -> list:
    found: list = []
    if f.status:
        found.append(PurchaseOrder.status.in_(PURCHASE_ORDER.statuses_for(f.status)))
    if f.supplier_id:
        found.append(PurchaseOrder.supplier_id == f.supplier_id)
    if f.requirement:
        found.append(
            _line_exists(
                Requirement.id == POLine.requirement_id,
                Requirement.tenant_id == POLine.tenant_id,
                Requirement.client_reference.ilike(
                    contains(f.requirement, "requirement"), escape=LIKE_ESCAPE
                ),
            )
        )
    if f.promised_from:
        found.append(_line_exists(POLine.promised_date >= f.promised_from))
    if f.promised_to:
        found.append(_line_exists(POLine.promised_date <= f.promised_to))
    if f.overdue:
        found.append(PurchaseOrder.status.in_(PURCHASE_ORDER.group("receivable")))
        found.append(
            _line_exists(
                POLine.promised_date < (today or utc_today()),
                POLine.received_quantity < POLine.quantity,
            )
        )
    if f.q:
        pattern = contains(f.q)
        found.append(
            sa.or_(
                PurchaseOrder.number.ilike(pattern, escape=LIKE_ESCAPE),
                _line_exists(POLine.description.ilike(pattern, escape=LIKE_ESCAPE)),
            )
        )
    return found


def in_index_order_for(f: OrderFilters) -> bool:
    """Whether ``search`` reads this page in the index's order (no filter)."""
    return not conditions(f)


def search(
    session: Session, where: list, f: OrderFilters, *, page: int = 1, per_page: int = 50
) -> tuple[list[PurchaseOrder], bool]:
    """A page of orders with their lines, newest first."""
    stmt = sa.select(PurchaseOrder).where(*where).options(*WITH_LINES)
    found = _page(session, stmt, f, page, per_page, restore=True, scalars=True)
    return found[:per_page], len(found) > per_page


def search_values(
    session: Session,
    where: list,
    f: OrderFilters,
    columns: tuple,
    *,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[sa.Row], bool]:
    """The same page as ``search``, as rows of just ``columns``, for a caller
    that reads nothing more in this transaction (the API's list, then its
    commit). Building 50 orders of 40 columns as ORM objects was most of that
    answer's Python."""
    stmt = sa.select(*columns).where(*where)
    found = _page(session, stmt, f, page, per_page, restore=False, scalars=False)
    return found[:per_page], len(found) > per_page


def _page(
    session: Session,
    stmt: sa.Select,
    f: OrderFilters,
    page: int,
    per_page: int,
    *,
    restore: bool,
    scalars: bool,
) -> list:
    narrowing = conditions(f)
    # Newest first, ties by id the same way: a backward walk of
    # ix_purchase_orders_provider_created gives exactly this order.
    stmt = (
        stmt.where(*narrowing)
        .order_by(PurchaseOrder.created_at.desc(), PurchaseOrder.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    )
    # Unfiltered, a provider's page is that walk, stopped after one page. The
    # planner cannot see into the tenant scoping and, with 20,000 orders,
    # read them all and sorted them instead (86 ms against 1 ms). A filter
    # may match few rows, which a sort then serves better than a long walk.
    if narrowing:
        with_sorting(session)
        return list(session.scalars(stmt) if scalars else session.execute(stmt))
    # That walk is the plan whatever the provider and the page, so the
    # statement is prepared: planned once per connection rather than on
    # every read, its row-level policies included (decision 0016).
    stmt = stmt.execution_options(**PREPARED)
    with in_index_order(session, restore=restore):
        return list(session.scalars(stmt) if scalars else session.execute(stmt))


# --- what the list and the export show beside each order ----------------------------


def current_acknowledgements(
    session: Session, orders: list[PurchaseOrder]
) -> dict[uuid.UUID, POAcknowledgement]:
    """The acknowledgement that counts for each order (its current revision's)."""
    if not orders:
        return {}
    revision_of = {po.id: po.revision for po in orders}
    rows = session.scalars(
        sa.select(POAcknowledgement).where(
            POAcknowledgement.tenant_id.in_({po.tenant_id for po in orders}),
            POAcknowledgement.po_id.in_(revision_of),
        )
    )
    return {a.po_id: a for a in rows if a.revision == revision_of.get(a.po_id)}


def ack_summary(ack: POAcknowledgement | None) -> str:
    if ack is None:
        return "Not acknowledged"
    outcomes = {e.get("outcome") for e in ack.lines}
    if outcomes == {"accepted"}:
        return OUTCOME_LABELS["accepted"]
    text = ", ".join(
        f"line {e.get('line_no')} {OUTCOME_LABELS.get(e.get('outcome'), e.get('outcome')).lower()}"
        for e in ack.lines
        if e.get("outcome") != "accepted"
    )
    if ack.changes_status == "pending":
        text += " (waiting for the buyer)"
    return text


def line_ack(ack: POAcknowledgement | None, line_no: int) -> str:
    if ack is None:
        return "Not acknowledged"
    for entry in ack.lines:
        if entry.get("line_no") == line_no:
            return OUTCOME_LABELS.get(entry.get("outcome"), entry.get("outcome") or "")
    return ""


def supplier_names(session: Session, orders: list[PurchaseOrder]) -> dict[uuid.UUID, str]:
    ids = {po.supplier_id for po in orders}
    if not ids:
        return {}
    return dict(
        session.execute(sa.select(Supplier.id, Supplier.name).where(Supplier.id.in_(ids))).all()
    )


def supplier_choices(session: Session, where: list) -> list[tuple[uuid.UUID, str]]:
    """Suppliers that have orders in this reader's list, for the filter's choices."""
    ids = sa.select(PurchaseOrder.supplier_id).where(*where).distinct()
    return [
        (row.id, row.name)
        for row in session.execute(
            sa.select(Supplier.id, Supplier.name)
            .where(Supplier.id.in_(ids))
            .order_by(Supplier.name)
        )
    ]


def open_quantity(line: POLine) -> Decimal:
    return max(line.quantity - line.received_quantity, Decimal(0))


def next_promised(po: PurchaseOrder) -> date | None:
    """The earliest promised date of a line still to come."""
    dates = [
        line.promised_date
        for line in po.lines
        if line.promised_date and line.received_quantity < line.quantity
    ]
    return min(dates, default=None)


def is_overdue(po: PurchaseOrder, today: date | None = None) -> bool:
    today = today or utc_today()
    if not PURCHASE_ORDER.in_group("receivable", po.status):
        return False
    return any(
        line.promised_date and line.promised_date < today and line.received_quantity < line.quantity
        for line in po.lines
    )


EXPORT_HEADER = [
    "Order", "Status", "Supplier", "Line", "Item", "Description", "Ordered", "Unit",
    "Unit price", "Line total", "Currency", "Promised", "Received", "Rejected", "Open",
    "Acknowledgement",
]  # fmt: skip


def export_rows(session: Session, orders: list[PurchaseOrder]) -> list[list[Any]]:
    """One row per order line, with the figures a client reconciles against."""
    suppliers = supplier_names(session, orders)
    acks = current_acknowledgements(session, orders)
    rows = []
    for po in orders:
        ack = acks.get(po.id)
        for line in po.lines:
            rows.append(
                [
                    po.number,
                    PURCHASE_ORDER.label(po.status),
                    suppliers.get(po.supplier_id, ""),
                    line.line_no,
                    line.item_code,
                    line.description,
                    line.quantity.normalize(),
                    line.unit,
                    line.unit_price.normalize(),
                    line_total(line),
                    po.currency,
                    line.promised_date,
                    line.received_quantity.normalize(),
                    line.rejected_quantity.normalize(),
                    open_quantity(line).normalize(),
                    line_ack(ack, line.line_no),
                ]
            )
    return rows


def listing(session: Session, where: list, args: Any, *, per_page: int = 50) -> dict[str, Any]:
    """A list page as its query string asks, with what each row shows beside
    the order: a fixed number of statements whatever the number of orders."""
    from baton.platform.inputs import page_from

    filters, errors = parse(args)
    page = page_from(args.get("page"))
    orders, has_next = search(session, where, filters, page=page, per_page=per_page)
    acks = current_acknowledgements(session, orders)
    today = utc_today()
    return {
        "orders": orders,
        "has_next": has_next,
        "page": page,
        "filters": filters,
        "filter_errors": errors,
        "supplier_names": supplier_names(session, orders),
        "supplier_choices": supplier_choices(session, where),
        "ack_text": {po.id: ack_summary(acks.get(po.id)) for po in orders},
        "next_promised": {po.id: next_promised(po) for po in orders},
        "overdue": {po.id for po in orders if is_overdue(po, today)},
        "machine": PURCHASE_ORDER,
        # What the older templates read.
        "status": filters.status or "",
        "q": filters.q or "",
    }
