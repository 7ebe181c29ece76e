"""The supplier's signed link to one revision of one order.

The token (itsdangerous) names the order, its tenant and provider, the
revision and a nonce kept on the order. It expires after
``BATON_SUPPLIER_LINK_DAYS``; the buyer revokes it by clearing the nonce; a
change order supersedes it by raising the revision. The link can reach that
order and nothing else: every lookup goes through ``open_link``.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from baton.platform.db import set_context, utcnow
from baton.platform.errors import NotFound
from baton.platform.request_context import Actor
from baton.platform.signing import LinkError, sign, unsign
from baton.platform.tenancy import provider_context
from baton.procurement.orders.models import PurchaseOrder
from baton.procurement.orders.queries import WITH_LINES
from baton.procurement.orders.states import PURCHASE_ORDER

PURPOSE = "supplier-order"


def new_nonce() -> str:
    return secrets.token_urlsafe(12)


def token_for(po: PurchaseOrder) -> str:
    return sign(
        PURPOSE,
        {
            "po": str(po.id),
            "t": str(po.tenant_id),
            "p": str(po.provider_id),
            "r": po.revision,
            "n": po.link_nonce,
        },
    )


def _max_age() -> int:
    return int(float(current_app.config.get("BATON_SUPPLIER_LINK_DAYS", 90)) * 86400)


class LinkRefused(Exception):
    """Why a link opens nothing: shown to the supplier as a page of its own."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__(message)
        self.title, self.message = title, message


@dataclass(frozen=True)
class OpenedLink:
    po: PurchaseOrder
    actor: Actor


def open_link(session: Session, token: str, *, lock: bool = False) -> OpenedLink:
    """The order the link was issued for, with the session acting for its provider
    and that one client; anything else raises LinkRefused."""
    try:
        claims = unsign(PURPOSE, token, _max_age())
        po_id, tenant_id, provider_id = (uuid.UUID(claims[k]) for k in ("po", "t", "p"))
        revision, nonce = int(claims["r"]), str(claims["n"])
    except LinkError as exc:
        raise LinkRefused("This link does not work", str(exc)) from None
    except (KeyError, TypeError, ValueError):
        raise LinkRefused("This link does not work", "This link is not valid.") from None
    set_context(session, provider_context(provider_id, {tenant_id}))
    stmt = (
        sa.select(PurchaseOrder)
        .where(
            PurchaseOrder.id == po_id,
            PurchaseOrder.tenant_id == tenant_id,
            PurchaseOrder.provider_id == provider_id,
        )
        .options(*WITH_LINES)
    )
    if lock:
        stmt = stmt.with_for_update(of=PurchaseOrder)
    po = session.scalar(stmt)
    if po is None or not PURCHASE_ORDER.in_group("supplier_visible", po.status):
        raise LinkRefused("This link does not work", "This link is not valid.")
    if revision < po.revision:
        raise LinkRefused(
            "This order has been changed",
            f"Purchase order {po.number} was superseded by revision {po.revision}; "
            "use the link in the latest email from the buyer.",
        )
    if (
        po.link_nonce is None
        or not secrets.compare_digest(po.link_nonce, nonce)
        or revision != po.revision
    ):
        raise LinkRefused(
            "This link was withdrawn",
            f"The buyer withdrew this link to purchase order {po.number}. Ask the buyer for a new one.",
        )
    return OpenedLink(po, Actor("supplier_link", nonce, f"Supplier link for {po.number}"))


def revoke(session: Session, po: PurchaseOrder) -> None:
    from baton.platform import audit

    if po.link_nonce is None:
        raise NotFound("This order has no link to withdraw.")
    po.link_nonce = None
    po.link_revoked_at = utcnow()
    audit.record(
        session,
        tenant_id=po.tenant_id,
        provider_id=po.provider_id,
        action="purchase_order.link_revoked",
        entity_type="purchase_order",
        entity_id=po.id,
        changes={"supplier_link": ["active", "withdrawn"]},
    )
