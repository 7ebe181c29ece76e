"""The order as its PDF says it: facts gathered from the rows, rendered by ``pdf``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from baton.procurement.orders.models import PurchaseOrder
from baton.procurement.orders.pdf import (
    PdfDelivery,
    PdfLine,
    PdfParty,
    PdfSpec,
    PurchaseOrderPdf,
    render_purchase_order,
)
from baton.sourcing.suppliers.models import Supplier
from baton.tenants.models import Organisation, User

# When the client organisation names no locale.
DEFAULT_LOCALE = "en_GB"


def pdf_facts(session: Session, po: PurchaseOrder, locale: str | None = None) -> PurchaseOrderPdf:
    client = session.get(Organisation, po.tenant_id)
    provider = session.get(Organisation, po.provider_id)
    supplier = session.get(Supplier, po.supplier_id)
    buyer = session.get(User, po.buyer_id) if po.buyer_id else None
    issued = po.released_at.date() if po.released_at else date.today()
    return PurchaseOrderPdf(
        number=po.number,
        revision=po.revision,
        issued_on=issued,
        currency=po.currency,
        # The client's language conventions: its order, its numbers and dates.
        locale=locale or getattr(client, "locale", None) or DEFAULT_LOCALE,
        client=PdfParty(name=client.name),
        supplier=PdfParty(
            name=supplier.name,
            address=supplier.address,
            contact_name=supplier.contact_name,
            contact_email=supplier.contact_email,
            code=supplier.code,
        ),
        ship_to=po.ship_to,
        payment_terms=po.payment_terms,
        incoterms=po.incoterms,
        buyer_name=buyer.name if buyer else provider.name,
        buyer_email=buyer.email if buyer else "",
        provider_name=provider.name,
        lines=tuple(
            PdfLine(
                line_no=line.line_no,
                item_code=line.item_code,
                description=line.description,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                deliveries=tuple(
                    PdfDelivery(date.fromisoformat(d["date"]), Decimal(d["quantity"]))
                    for d in line.schedule
                ),
                specs=tuple(
                    PdfSpec(s["document_number"], int(s["revision_no"])) for s in line.specs or []
                ),
            )
            for line in po.lines
        ),
        notes=po.notes,
        cancelled=po.status == "cancelled",
    )


def pdf_for(session: Session, po: PurchaseOrder) -> bytes:
    return render_purchase_order(pdf_facts(session, po))
