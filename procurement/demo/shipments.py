"""The demo's shipment notices and paperwork, sent as their people would.

Kessler announces through its link the rest of ACME-000006's brackets (due
yesterday, not yet here: the follow-up's "shipment notice overdue") and a
first half of ACME-000005's fastener kits (on the way), each with a packing
slip; ACME-000006's acknowledgement came by email and is kept as a file,
and its first receipt has the packing slip the driver handed over.
"""

from __future__ import annotations

import uuid
from typing import Any

from baton.platform import demo_files
from baton.platform.request_context import acting_as
from baton.procurement.orders import attachments, links, shipments
from baton.procurement.orders.models import PurchaseOrder

KESSLER_EMAIL = (
    b"From: Jonas Weber <orders@kessler.example>\n"
    b"Subject: Re: Purchase order {number}\n\n"
    b"Hello Bea,\n\nwe confirm your order {number} as placed: all lines, prices and dates.\n\n"
    b"Kind regards,\nJonas Weber, Kessler Metallbau\n"
)


def _slip(number: str, dn: str, lines: list[str]) -> attachments.Upload:
    import io

    pdf = demo_files.text_pdf(
        f"Packing slip {dn}", [f"Kessler Metallbau - delivery {dn}", f"Your order {number}", *lines]
    )
    return attachments.Upload(io.BytesIO(pdf), f"{dn}.pdf")


def supplier_notice(story: Any, po_id: uuid.UUID, quantity: str, shipped: int, due: int) -> None:
    """Through the order's own link, with the link as the actor, as Kessler would."""
    po = story.session.get(PurchaseOrder, po_id)
    opened = links.open_link(story.session, links.token_for(po), lock=True)
    dn = f"DN-{po.number[-4:]}-{quantity}"
    with acting_as(opened.actor):
        shipments.send_notice(
            story.session,
            opened.po,
            {
                "carrier": "DB Schenker",
                "tracking_number": f"SCH{po.number[-6:]}{quantity}",
                "shipped_on": story.days(shipped),
                "expected_on": story.days(due),
                "lines": [{"line_no": 1, "quantity": quantity}],
                "note": "Two pallets, deliver to gate 2.",
            },
            source="supplier_link",
            idempotency_key=f"demo-{po.number}-{quantity}",
            packing_slip=_slip(po.number, dn, [f"Line 1: {quantity} each"]),
        )


def email_acknowledgement(story: Any, po_id: uuid.UUID, buyer: str) -> None:
    """The acknowledgement Kessler emailed, entered by Bea with the email kept."""
    import io

    po = story.session.get(PurchaseOrder, po_id)
    with story.acting(buyer) as (provider_id, user_id):
        attachments.record_acknowledgement(
            story.session,
            provider_id,
            user_id,
            po_id,
            [{"line_no": 1, "outcome": "accepted"}],
            source="email",
            note="Confirmed by email.",
            attachment=attachments.Upload(
                io.BytesIO(KESSLER_EMAIL.replace(b"{number}", po.number.encode())),
                f"Re Purchase order {po.number}.txt",
            ),
        )


def receive_with_slip(
    story: Any, po_id: uuid.UUID, buyer: str, qty: str, dn: str, days_ago: int
) -> None:
    from baton.procurement.orders import receiving

    po = story.session.get(PurchaseOrder, po_id)
    with story.acting(buyer) as (provider_id, user_id):
        receiving.receive(
            story.session,
            provider_id,
            user_id,
            po_id,
            [{"line_no": 1, "quantity_received": qty}],
            reference=dn,
            received_on=story.days(-days_ago),
            packing_slip=_slip(po.number, dn, [f"Line 1: {qty} each"]),
        )
