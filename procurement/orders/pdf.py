"""The purchase order as the supplier receives it: an A4 PDF.

The renderer takes plain frozen values, not ORM rows, so release can render
inside or outside a request and the same input always gives the same bytes
(the stored revision's SHA-256 then identifies the document, not the moment
it was rendered)."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, get_currency_precision
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, SimpleDocTemplate, Spacer, Table, TableStyle

from baton.procurement.orders.pdf_layout import (
    MARGIN,
    PAGE_SIZE,
    markup,
    numbered_canvas,
    para,
    para_markup,
    register_fonts,
)


@dataclass(frozen=True)
class PdfParty:
    """The client (buyer organisation) or the supplier."""

    name: str
    address: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class PdfSpec:
    number: str
    revision_no: int
    title: str | None = None


@dataclass(frozen=True)
class PdfDelivery:
    date: datetime.date
    quantity: Decimal


@dataclass(frozen=True)
class PdfLine:
    line_no: int
    item_code: str | None
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    deliveries: tuple[PdfDelivery, ...]
    specs: tuple[PdfSpec, ...] = ()


@dataclass(frozen=True)
class PurchaseOrderPdf:
    number: str
    revision: int
    issued_on: datetime.date
    currency: str
    locale: str
    client: PdfParty
    supplier: PdfParty
    ship_to: str | None
    payment_terms: str | None
    incoterms: str | None
    buyer_name: str
    buyer_email: str
    provider_name: str
    lines: tuple[PdfLine, ...]
    notes: str | None = None
    change_reason: str | None = None
    cancelled: bool = False


def _minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-get_currency_precision(currency))


def line_total(line: PdfLine, currency: str) -> Decimal:
    """quantity x unit price, rounded half-up to the currency's minor unit
    (cents for EUR, whole yen for JPY, fils for BHD). The currency is an
    argument because a line does not carry one: guessing cents would misstate
    every yen order."""
    return (line.quantity * line.unit_price).quantize(_minor_unit(currency), ROUND_HALF_UP)


def order_total(po: PurchaseOrderPdf) -> Decimal:
    """The sum of the rounded line totals, so the total is what the lines add
    up to on the page."""
    return sum((line_total(line, po.currency) for line in po.lines), Decimal(0)).quantize(
        _minor_unit(po.currency)
    )


class _Formats:
    """Numbers, money and dates in the client's locale, as the supplier reads
    them (`1.234,50 €` for de_DE, `€1,234.50` for en_GB)."""

    def __init__(self, locale: str, currency: str) -> None:
        self.locale = Locale.parse(locale.replace("-", "_"))
        self.currency = currency

    def money(self, amount: Decimal) -> str:
        return format_currency(amount, self.currency, locale=self.locale)

    def price(self, amount: Decimal) -> str:
        # Unit prices may carry more places than the currency (0.1234 EUR per
        # piece); rounding them on the order would misstate the agreed price.
        return format_currency(
            amount, self.currency, locale=self.locale, decimal_quantization=False
        )

    def quantity(self, amount: Decimal) -> str:
        normal = amount.normalize()
        if normal == normal.to_integral():
            normal = normal.quantize(Decimal(1))
        return format_decimal(normal, locale=self.locale, decimal_quantization=False)

    def date(self, value: datetime.date) -> str:
        return format_date(value, format="medium", locale=self.locale)


def _present(value: str | None) -> bool:
    return value is not None and value.strip() != ""


def _party(label: str, party: PdfParty, extra: list[str] | None = None) -> list[Flowable]:
    parts = [para(label, "label"), para_markup(f"<b>{markup(party.name)}</b>")]
    if _present(party.code):
        parts.append(para(f"Supplier code: {party.code}"))
    for line in extra or []:
        parts.append(para(line))
    if _present(party.address):
        parts.append(para(party.address))
    contact = " ".join(
        p
        for p in (party.contact_name, f"<{party.contact_email}>" if party.contact_email else "")
        if _present(p)
    )
    if contact:
        parts.append(para(f"Attn: {contact}"))
    return parts


def _header(po: PurchaseOrderPdf, fmt: _Formats) -> list[Flowable]:
    flow: list[Flowable] = []
    if po.cancelled:
        flow.append(para("CANCELLED — this purchase order is void; do not ship", "banner"))
    heading = [para("Purchase order", "title"), para(po.number, "number")]
    if po.revision > 0:
        heading.append(para(f"Revision {po.revision}", "number"))
    facts = [("Issue date", fmt.date(po.issued_on)), ("Currency", po.currency)]
    facts += [
        (label, value)
        for label, value in (("Payment terms", po.payment_terms), ("Incoterms", po.incoterms))
        if _present(value)
    ]
    fact_rows = [[para(label, "label"), para(value or "")] for label, value in facts]
    facts_table = Table(fact_rows, colWidths=[28 * mm, 52 * mm])
    facts_table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    top = Table([[heading, facts_table]], colWidths=[94 * mm, 80 * mm])
    top.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    flow += [top, Spacer(1, 5 * mm)]

    buyer = _party("Buyer", po.client, [f"Issued on its behalf by {po.provider_name}"])
    columns = [buyer, _party("Supplier", po.supplier)]
    widths = [58 * mm, 58 * mm]
    if _present(po.ship_to):
        columns.append([para("Ship to", "label"), para(po.ship_to or "")])
        widths.append(58 * mm)
    parties = Table([columns], colWidths=widths)
    parties.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    flow += [parties, Spacer(1, 4 * mm)]
    if po.revision > 0:
        reason = po.change_reason if _present(po.change_reason) else "not given"
        flow.append(
            para_markup(
                f"<b>Change order {po.revision}</b>: this revision replaces all earlier ones. "
                f"Reason: {markup(reason or '')}"
            )
        )
        flow.append(Spacer(1, 3 * mm))
    return flow


_LINE_COLUMNS = (
    ("#", 8, "head"),
    ("Item", 24, "head"),
    ("Description", 50, "head"),
    ("Quantity", 20, "head_right"),
    ("Unit price", 22, "head_right"),
    ("Total", 22, "head_right"),
    ("Delivery", 28, "head"),
)


def _description(line: PdfLine) -> list[Flowable]:
    cell = [para(line.description, "cell")]
    for spec in line.specs:
        title = f" — {spec.title}" if _present(spec.title) else ""
        cell.append(para(f"Spec {spec.number} rev {spec.revision_no}{title}", "small"))
    return cell


def _deliveries(line: PdfLine, fmt: _Formats) -> list[Flowable]:
    if len(line.deliveries) == 1:
        return [para(fmt.date(line.deliveries[0].date), "cell")]
    return [
        para(f"{fmt.date(d.date)}: {fmt.quantity(d.quantity)} {line.unit}", "cell")
        for d in line.deliveries
    ]


def _lines_table(po: PurchaseOrderPdf, fmt: _Formats) -> Table:
    rows: list[list[object]] = [[para(name, style) for name, _, style in _LINE_COLUMNS]]
    for line in po.lines:
        rows.append(
            [
                para(str(line.line_no), "cell"),
                para(line.item_code or "", "cell"),
                _description(line),
                para(f"{fmt.quantity(line.quantity)} {line.unit}", "cell_right"),
                para(fmt.price(line.unit_price), "cell_right"),
                para(fmt.money(line_total(line, po.currency)), "cell_right"),
                _deliveries(line, fmt),
            ]
        )
    table = Table(
        rows,
        colWidths=[width * mm for _, width, _ in _LINE_COLUMNS],
        repeatRows=1,
        # A description longer than a page is split across pages rather than
        # making the whole document fail to lay out.
        splitInRow=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _closing(po: PurchaseOrderPdf, fmt: _Formats) -> list[Flowable]:
    total = Table(
        [
            [
                para(f"Order total ({po.currency})", "total"),
                para(fmt.money(order_total(po)), "total"),
            ]
        ],
        colWidths=[134 * mm, 40 * mm],
    )
    total.setStyle(TableStyle([("LINEABOVE", (0, 0), (-1, 0), 0.8, colors.black)]))
    flow: list[Flowable] = [total, Spacer(1, 5 * mm)]
    if _present(po.notes):
        flow += [para("Notes", "label"), para(po.notes or ""), Spacer(1, 3 * mm)]
    flow.append(para(f"Questions and replies: {po.buyer_name} <{po.buyer_email}>"))
    flow.append(
        para(
            f"Please acknowledge this order, quoting {po.number}"
            + (f" revision {po.revision}" if po.revision > 0 else "")
            + ", with your confirmed prices and delivery dates.",
            "small",
        )
    )
    return flow


def render_purchase_order(po: PurchaseOrderPdf) -> bytes:
    """The PDF bytes of ``po``: A4, "Page x of y" on every page, the line
    table's header repeated on each page it spans."""
    register_fonts()
    fmt = _Formats(po.locale, po.currency)
    reference = po.number + (f" · Revision {po.revision}" if po.revision > 0 else "")
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"Purchase order {reference}",
        author=po.provider_name,
        subject=f"{po.client.name} — {po.supplier.name}",
        creator="Baton",
        # No timestamp or random document id: the same order gives the same bytes.
        invariant=1,
    )
    story = _header(po, fmt) + [_lines_table(po, fmt), Spacer(1, 2 * mm)] + _closing(po, fmt)
    canvas = numbered_canvas(
        lambda page, pages: f"{reference} · Page {page} of {pages}",
        "CANCELLED" if po.cancelled else None,
    )
    doc.build(story, canvasmaker=canvas)
    return out.getvalue()
