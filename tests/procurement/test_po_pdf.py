"""The purchase-order PDF as a supplier reads it: text pulled out of the
rendered bytes with pypdf, the way a supplier's system or a search would."""

from __future__ import annotations

import datetime
import io
from dataclasses import replace
from decimal import Decimal

import pytest
from pypdf import PdfReader

from baton.procurement.orders.pdf import (
    PdfDelivery,
    PdfLine,
    PdfParty,
    PdfSpec,
    PurchaseOrderPdf,
    line_total,
    order_total,
    render_purchase_order,
)


def _line(line_no: int = 1, **changes: object) -> PdfLine:
    line = PdfLine(
        line_no=line_no,
        item_code=f"BRK-{line_no:04d}",
        description="Mounting bracket, zinc plated",
        quantity=Decimal("10.0000"),
        unit="pcs",
        unit_price=Decimal("123.4500"),
        deliveries=(PdfDelivery(datetime.date(2026, 3, 5), Decimal("10")),),
        specs=(PdfSpec("SPEC-ACME-0042", 3, "Bracket drawing"),),
    )
    return replace(line, **changes)


def _order(**changes: object) -> PurchaseOrderPdf:
    po = PurchaseOrderPdf(
        number="ACME-000123",
        revision=0,
        issued_on=datetime.date(2026, 2, 14),
        currency="EUR",
        locale="en_GB",
        client=PdfParty("Acme Manufacturing Ltd", address="1 Mill Lane\nLeeds LS1 1AA"),
        supplier=PdfParty(
            "Northern Fasteners",
            address="Unit 4, Dock Road\nHull",
            contact_name="Sam Reed",
            contact_email="sam@northern.example",
            code="SUP-0007",
        ),
        ship_to="Acme Goods-in, Gate 2\nLeeds",
        payment_terms="30 days net",
        incoterms="DAP Leeds",
        buyer_name="Jane Buyer",
        buyer_email="jane@provider.example",
        provider_name="Procure Partners",
        lines=(_line(1),),
    )
    return replace(po, **changes)


def _pages(pdf: bytes) -> list[str]:
    """Each page's text with runs of whitespace as one space: a wrapped cell
    reads on, and Babel's no-break space between amount and symbol (which
    keeps them from wrapping apart) reads as a space."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def _text(po: PurchaseOrderPdf) -> str:
    return "\n".join(_pages(render_purchase_order(po)))


def test_the_supplier_reads_the_number_its_own_name_code_and_contact_and_each_item():
    po = _order(lines=(_line(1), _line(2, item_code="NUT-M8"), _line(3, item_code="WSH-20")))
    pdf = render_purchase_order(po)

    assert pdf.startswith(b"%PDF-")
    text = "\n".join(_pages(pdf))
    assert "Purchase order" in text
    assert "ACME-000123" in text
    assert "Northern Fasteners" in text
    assert "Supplier code: SUP-0007" in text
    assert "Sam Reed" in text and "sam@northern.example" in text
    for code in ("BRK-0001", "NUT-M8", "WSH-20"):
        assert code in text
    assert "Acme Manufacturing Ltd" in text
    assert "Procure Partners" in text
    assert "Questions and replies: Jane Buyer <jane@provider.example>" in text


def test_an_original_order_shows_no_revision_and_a_change_order_its_number_and_reason():
    original = _text(_order())
    assert "Revision" not in original
    assert "Change order" not in original

    changed = _text(_order(revision=2, change_reason="Quantity raised to 12 at client request"))
    assert "Revision 2" in changed
    assert "Quantity raised to 12 at client request" in changed
    assert "ACME-000123 · Revision 2 · Page 1 of 1" in changed


@pytest.mark.parametrize(
    ("locale", "total", "unit_price", "issued"),
    [
        ("de_DE", "1.234,50 €", "123,45 €", "14.02.2026"),
        ("en_GB", "€1,234.50", "€123.45", "14 Feb 2026"),
        ("en_US", "€1,234.50", "€123.45", "Feb 14, 2026"),
    ],
)
def test_money_and_dates_read_in_the_clients_locale(locale, total, unit_price, issued):
    text = _text(_order(locale=locale))

    assert total in text
    assert unit_price in text
    assert issued in text


def test_a_unit_price_keeps_its_agreed_places_while_the_total_is_rounded_to_cents():
    line = _line(quantity=Decimal("3"), unit_price=Decimal("0.3335"))
    text = _text(_order(lines=(line,)))

    assert "€0.3335" in text
    assert "€1.00" in text  # 1.0005 half-up to the cent


def test_line_and_order_totals_round_half_up_to_the_currencys_minor_unit():
    half_cent = _line(quantity=Decimal("1"), unit_price=Decimal("0.125"))
    assert line_total(half_cent, "EUR") == Decimal("0.13")
    assert line_total(half_cent, "JPY") == Decimal("0")
    assert line_total(_line(unit_price=Decimal("0.05")), "JPY") == Decimal("1")
    assert line_total(half_cent, "BHD") == Decimal("0.125")

    po = _order(lines=(half_cent, half_cent, _line(3)))
    assert order_total(po) == Decimal("1234.76")
    assert "€1,234.76" in _text(po)


def test_each_line_lists_the_specifications_it_is_bought_to_with_their_revisions():
    line = _line(specs=(PdfSpec("SPEC-ACME-0042", 3), PdfSpec("DRW-ACME-0100", 11, "Finish")))
    text = _text(_order(lines=(line,)))

    assert "Spec SPEC-ACME-0042 rev 3" in text
    assert "Spec DRW-ACME-0100 rev 11 — Finish" in text


def test_a_split_delivery_schedule_shows_each_date_with_its_quantity():
    split = _line(
        deliveries=(
            PdfDelivery(datetime.date(2026, 3, 5), Decimal("4")),
            PdfDelivery(datetime.date(2026, 4, 9), Decimal("6.5000")),
        )
    )
    single = _text(_order(locale="de_DE"))
    text = _text(_order(locale="de_DE", lines=(split,)))

    assert "05.03.2026: 4 pcs" in text
    assert "09.04.2026: 6,5 pcs" in text
    assert "05.03.2026" in single and "05.03.2026:" not in single


def test_terms_that_are_not_set_are_left_out_without_leaving_a_gap():
    text = _text(_order(payment_terms=None, incoterms="DAP", ship_to="  "))

    assert "Incoterms DAP" in text
    assert "Payment terms" not in text
    assert "Ship to" not in text


def test_a_long_order_numbers_every_page_and_repeats_the_table_header():
    pages = _pages(render_purchase_order(_order(lines=tuple(_line(n) for n in range(1, 201)))))

    assert len(pages) > 3
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Unit price" in page
    text = "\n".join(pages)
    assert all(f"BRK-{n:04d}" in text for n in range(1, 201))
    assert "€246,900.00" in pages[-1]


def test_a_three_page_order_says_page_1_of_3():
    pages = _pages(render_purchase_order(_order(lines=tuple(_line(n) for n in range(1, 46)))))

    assert len(pages) == 3
    assert "Page 1 of 3" in pages[0]
    assert "Page 3 of 3" in pages[2]


def test_markup_in_user_text_is_printed_literally():
    line = _line(description="Bolt <b>M8</b> & nut <font size=40>x</font> 5 < 6")
    text = _text(_order(lines=(line,), notes="Deliver <before> noon & call\x07 first"))

    assert "Bolt <b>M8</b> & nut" in text
    assert "<font size=40>x</font> 5 < 6" in text
    assert "Deliver <before> noon & call first" in text


def test_a_description_longer_than_a_page_wraps_and_continues_on_the_next():
    words = " ".join(f"word{n}" for n in range(3000))
    pages = _pages(render_purchase_order(_order(lines=(_line(description=words),))))

    assert len(pages) > 2
    text = " ".join(pages)
    assert "word0 word1" in text and "word2999" in text


def test_names_outside_latin_1_print():
    supplier = PdfParty("Łódź Stal Sp. z o.o.", address="ul. Piotrkowska 1\nŁódź", code="PL-1")
    line = _line(description="Šroub s čepem — Größe M8")
    text = _text(_order(supplier=supplier, lines=(line,), locale="de_DE"))

    assert "Łódź Stal Sp. z o.o." in text
    assert "Šroub s čepem — Größe M8" in text


def test_a_cancelled_order_says_so_on_every_page():
    pages = _pages(
        render_purchase_order(_order(cancelled=True, lines=tuple(_line(n) for n in range(1, 40))))
    )

    assert "CANCELLED — this purchase order is void; do not ship" in pages[0]
    assert all("CANCELLED" in page for page in pages)
    assert "CANCELLED" not in _text(_order())


def test_the_same_order_renders_to_the_same_bytes():
    po = _order(lines=tuple(_line(n) for n in range(1, 6)))
    first = render_purchase_order(po)
    render_purchase_order(_order(locale="de_DE", supplier=PdfParty("Ölwerk Ærø")))

    assert render_purchase_order(po) == first
    assert render_purchase_order(replace(po, revision=1)) != first
