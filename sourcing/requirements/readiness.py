"""Is a handoff packet ready for a buyer to order from? A pure function.

``check`` reads a plain description of a requirement (``RequirementFacts``)
and today's date, and lists every problem in words a sourcing user
understands. It never touches the database, so the client's live draft, the
frozen snapshot the provider reviews and the property-based tests all use the
same rules. Hard failures block acceptance; warnings are for people to weigh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from baton.platform import formatting
from baton.sourcing.suppliers.models import Supplier

ERROR = "error"
WARNING = "warning"

# Closer than this and a buyer will struggle to get the goods in time.
SHORT_LEAD_DAYS = 14
# A quote this close to expiry may lapse before the PO is released.
QUOTE_EXPIRY_WARNING_DAYS = 7


@dataclass(frozen=True)
class SupplierFacts:
    name: str
    currency: str | None
    qualification_status: str
    qualified_until: date | None

    # The supplier model's own rules, so "lapsed" means the same everywhere.
    def qualification_lapsed(self, today: date) -> bool:
        return Supplier.qualification_lapsed(self, today)  # type: ignore[arg-type]

    def is_usable(self, today: date) -> bool:
        return Supplier.is_usable(self, today)  # type: ignore[arg-type]


@dataclass(frozen=True)
class LineFacts:
    line_no: int
    description: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Decimal | None = None
    need_by: date | None = None
    spec_required: bool = False
    spec_count: int = 0


@dataclass(frozen=True)
class RequirementFacts:
    currency: str | None = None
    supplier: SupplierFacts | None = None
    quote_reference: str | None = None
    quote_valid_until: date | None = None
    ship_to: str | None = None
    lines: tuple[LineFacts, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Finding:
    field: str
    severity: str
    message: str
    code: str

    @property
    def hard(self) -> bool:
        return self.severity == ERROR


@dataclass(frozen=True)
class Readiness:
    findings: tuple[Finding, ...]

    @property
    def hard_failures(self) -> list[Finding]:
        return [f for f in self.findings if f.hard]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.hard]

    @property
    def ready(self) -> bool:
        return not self.hard_failures

    def for_field(self, path: str) -> list[Finding]:
        """Findings about a field or anything under it (``lines[2]`` covers its cells)."""
        return [
            f
            for f in self.findings
            if f.field == path or f.field.startswith(path + ".") or f.field.startswith(path + "[")
        ]

    def as_dict(self) -> dict:
        return {
            "ready": self.ready,
            "hard_failures": len(self.hard_failures),
            "warnings": len(self.warnings),
            "findings": [
                {"field": f.field, "severity": f.severity, "code": f.code, "message": f.message}
                for f in self.findings
            ],
        }


def _blank(value: str | None) -> bool:
    return value is None or not str(value).strip()


def _day(value: date) -> str:
    return formatting.day(value)


def check(req: RequirementFacts, today: date, *, for_provider: bool = False) -> Readiness:
    """``for_provider``: the words are for the provider's buyer, who reads the
    packet, rather than for the client, who can still change it."""
    findings: list[Finding] = []

    def add(path: str, severity: str, code: str, message: str) -> None:
        findings.append(Finding(path, severity, message, code))

    supplier = req.supplier
    if supplier is None:
        add("supplier_id", ERROR, "supplier_missing", "Choose the supplier who won the award.")
    else:
        if supplier.qualification_status in ("suspended", "disqualified"):
            add(
                "supplier_id",
                ERROR,
                "supplier_not_qualified",
                f"{supplier.name} is {supplier.qualification_status}, so no order can be placed"
                " with them. Choose a qualified supplier or get this one requalified.",
            )
        elif supplier.qualification_lapsed(today):
            add(
                "supplier_id",
                ERROR,
                "supplier_qualification_lapsed",
                f"{supplier.name}'s qualification ran out on {_day(supplier.qualified_until)}."
                " Renew it in the supplier list before handing this off.",
            )
        elif not supplier.is_usable(today):
            add(
                "supplier_id",
                ERROR,
                "supplier_not_qualified",
                f"{supplier.name} is not qualified to supply.",
            )
        elif supplier.qualification_status == "conditional":
            add(
                "supplier_id",
                WARNING,
                "supplier_conditional",
                (
                    f"{supplier.name} is only conditionally qualified. Check the client's"
                    " assumptions for the conditions before you order."
                )
                if for_provider
                else (
                    f"{supplier.name} is only conditionally qualified. Make sure the buyer knows"
                    " the conditions (put them in the assumptions)."
                ),
            )
        if (
            supplier.qualified_until is not None
            and not supplier.qualification_lapsed(today)
            and any(
                line.need_by is not None and line.need_by > supplier.qualified_until
                for line in req.lines
            )
        ):
            add(
                "supplier_id",
                WARNING,
                "supplier_qualification_ends_early",
                f"{supplier.name}'s qualification ends on {_day(supplier.qualified_until)},"
                " before the last need-by date.",
            )
        if _blank(req.currency):
            add("currency", ERROR, "currency_missing", "Enter the currency of the agreed price.")
        elif supplier.currency and req.currency != supplier.currency:
            add(
                "currency",
                ERROR,
                "currency_mismatch",
                f"The price is in {req.currency}, but {supplier.name} invoices in"
                f" {supplier.currency}. Use {supplier.currency} or get the quote in {req.currency}.",
            )
    if supplier is None and _blank(req.currency):
        add("currency", ERROR, "currency_missing", "Enter the currency of the agreed price.")

    if req.quote_valid_until is None:
        add(
            "quote_valid_until",
            ERROR,
            "quote_validity_missing",
            "Enter the date until which the supplier's quote is valid.",
        )
    elif req.quote_valid_until < today:
        add(
            "quote_valid_until",
            ERROR,
            "quote_expired",
            f"The quote expired on {_day(req.quote_valid_until)}. Get it extended or re-quoted.",
        )
    elif (req.quote_valid_until - today).days < QUOTE_EXPIRY_WARNING_DAYS:
        add(
            "quote_valid_until",
            WARNING,
            "quote_expiring",
            f"The quote expires on {_day(req.quote_valid_until)}; the order must be released"
            " before then.",
        )
    if _blank(req.quote_reference):
        add(
            "quote_reference",
            WARNING,
            "quote_reference_missing",
            "No quote reference: the buyer cannot refer the supplier to the agreed quote.",
        )
    if _blank(req.ship_to):
        add("ship_to", ERROR, "ship_to_missing", "Enter where the goods are to be delivered.")

    if not req.lines:
        add("lines", ERROR, "no_lines", "Add at least one line: what is to be bought.")
    for line in req.lines:
        findings.extend(_check_line(line, today))
    return Readiness(tuple(findings))


def _check_line(line: LineFacts, today: date) -> list[Finding]:
    n = line.line_no
    path = f"lines[{n}]"
    out: list[Finding] = []

    def add(name: str, severity: str, code: str, message: str) -> None:
        out.append(Finding(f"{path}.{name}", severity, f"Line {n}: {message}", code))

    if _blank(line.description):
        add("description", ERROR, "description_missing", "describe the item.")
    if line.quantity is None:
        add("quantity", ERROR, "quantity_missing", "enter the quantity to buy.")
    elif line.quantity <= 0:
        add("quantity", ERROR, "quantity_not_positive", "the quantity must be more than zero.")
    if _blank(line.unit):
        add("unit", ERROR, "unit_missing", "enter the unit of measure (each, kg, m, …).")
    if line.unit_price is None:
        add("unit_price", ERROR, "price_missing", "enter the agreed unit price.")
    elif line.unit_price < 0:
        add("unit_price", ERROR, "price_negative", "the unit price cannot be negative.")
    elif line.unit_price == 0:
        add("unit_price", WARNING, "price_zero", "the unit price is zero. Is it free of charge?")
    if line.need_by is None:
        add("need_by", ERROR, "need_by_missing", "enter the date the item is needed by.")
    elif line.need_by <= today:
        add(
            "need_by",
            ERROR,
            "need_by_past",
            f"the need-by date {_day(line.need_by)} is not in the future.",
        )
    elif (line.need_by - today).days < SHORT_LEAD_DAYS:
        days = (line.need_by - today).days
        add(
            "need_by",
            WARNING,
            "need_by_short",
            f"needed by {_day(line.need_by)}, only {formatting.count(days, 'day')} away;"
            " the supplier may not make it.",
        )
    if line.spec_required and line.spec_count == 0:
        add(
            "specs",
            ERROR,
            "spec_missing",
            "this item must be bought to a specification. Attach the specification revision.",
        )
    return out
