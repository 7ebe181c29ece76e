"""How many purchase-order PDFs per second one process renders.

Renders a 5-line order (and, for scale, a 200-line one) with
``baton.procurement.orders.pdf.render_purchase_order``: no database, no app,
only ReportLab and Babel, i.e. the cost release adds per order.

    .venv/bin/python bench/po_pdf.py [--count 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time
from decimal import Decimal

from baton.procurement.orders.pdf import (
    PdfDelivery,
    PdfLine,
    PdfParty,
    PdfSpec,
    PurchaseOrderPdf,
    render_purchase_order,
)
from baton.procurement.orders.pdf_layout import register_fonts


def _order(lines: int) -> PurchaseOrderPdf:
    return PurchaseOrderPdf(
        number="ACME-000123",
        revision=1,
        issued_on=datetime.date(2026, 2, 14),
        currency="EUR",
        locale="de_DE",
        client=PdfParty("Acme Maschinenbau GmbH", address="Hauptstraße 1\n10115 Berlin"),
        supplier=PdfParty(
            "Łódź Stal Sp. z o.o.",
            address="ul. Piotrkowska 1\n90-001 Łódź",
            contact_name="Jan Kowalski",
            contact_email="jan@lodz-stal.example",
            code="SUP-0007",
        ),
        ship_to="Wareneingang Tor 2\nBerlin",
        payment_terms="30 Tage netto",
        incoterms="DAP Berlin",
        buyer_name="Jane Buyer",
        buyer_email="jane@provider.example",
        provider_name="Procure Partners",
        lines=tuple(
            PdfLine(
                line_no=n,
                item_code=f"BRK-{n:04d}",
                description="Mounting bracket, zinc plated, deburred, in boxes of 50",
                quantity=Decimal("100"),
                unit="pcs",
                unit_price=Decimal("1.2345"),
                deliveries=(
                    PdfDelivery(datetime.date(2026, 3, 5), Decimal("60")),
                    PdfDelivery(datetime.date(2026, 4, 2), Decimal("40")),
                ),
                specs=(PdfSpec("SPEC-ACME-0042", 3, "Bracket drawing"),),
            )
            for n in range(1, lines + 1)
        ),
        notes="Label each box with the PO number.",
        change_reason="Second delivery moved to April",
    )


def _measure(po: PurchaseOrderPdf, count: int, rounds: int) -> tuple[list[float], int]:
    expected = render_purchase_order(po)  # warm-up: font parsing, Babel data
    assert expected.startswith(b"%PDF-")
    per_round: list[float] = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(count):
            pdf = render_purchase_order(po)
        per_round.append(count / (time.perf_counter() - start))
        assert pdf == expected  # deterministic: the bench renders what it claims
    return per_round, len(expected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="PDFs per round (5 lines)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    print(f"python {platform.python_version()}, font {register_fonts().name}")
    print(f"{'order':<10} {'PDFs':>6} {'median/s':>9} {'worst/s':>8} {'ms each':>8} {'bytes':>7}")
    for lines, count in ((5, args.count), (200, max(1, args.count // 40))):
        rates, size = _measure(_order(lines), count, args.rounds)
        median = statistics.median(rates)
        print(
            f"{f'{lines} lines':<10} {count * args.rounds:>6} {median:>9.1f} "
            f"{min(rates):>8.1f} {1000 / median:>8.1f} {size:>7}"
        )


if __name__ == "__main__":
    main()
