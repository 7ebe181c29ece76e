"""Signed links (``<token>`` routes): which purpose each endpoint unsigns, how
an attacker gets a genuine link of that purpose for themselves, and every
token it can make from one."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import Flask
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.orm import Session

from baton.platform.db import db, utcnow
from baton.platform.tenancy import SERVICE_CONTEXT
from tests.support.isolation.victim import Victim

if TYPE_CHECKING:
    from tests.support.isolation.attackers import Attacker


@dataclass(frozen=True)
class LinkPurpose:
    """How an attacker obtains a genuine link of this purpose for themselves,
    and which payload would point it at the victim."""

    own_payload: Callable[[Attacker, Session], dict]
    victim_payload: Callable[[Victim], dict]


# endpoint -> the purpose its <token> is unsigned with
SIGNED_LINK_ENDPOINTS: dict[str, str] = {
    "auth.accept_invitation": "invitation",
    "auth.reset_password": "reset",
    "supplier_orders.order": "supplier-order",
    "supplier_orders.acknowledge": "supplier-order",
    "supplier_orders.pdf": "supplier-order",
    "supplier_orders.shipments_page": "supplier-order",
    "supplier_orders.send_shipment": "supplier-order",
    "supplier_orders.specification": "supplier-order",
    "supplier_orders.attachment": "supplier-order",
    "supplier_issues.reply": "supplier-order",
    "supplier_issues.attachment": "supplier-order",
}


def _own_invitation(attacker: Attacker, session: Session) -> dict:
    from baton.tenants.models import Invitation

    invitation = Invitation(
        id=uuid.uuid4(),
        organisation_id=attacker.org_id,
        email=f"accomplice.{attacker.key}.{uuid.uuid4().hex[:6]}@example.com",
        role="viewer",
        expires_at=utcnow() + timedelta(days=7),
    )
    session.add(invitation)
    session.flush()
    return {"id": str(invitation.id)}


def _own_reset(attacker: Attacker, session: Session) -> dict:
    from baton.tenants.models import User
    from baton.tenants.services import reset_fingerprint

    return {
        "id": str(attacker.user_id),
        "fp": reset_fingerprint(session.get(User, attacker.user_id)),
    }


def _victim_invitation(v: Victim) -> dict:
    return {"id": v.id("invitation_id")}


def _victim_reset(v: Victim) -> dict:
    from baton.tenants.models import User
    from baton.tenants.services import reset_fingerprint

    admin = v.world.email(f"{v.key}_admin")
    with db.new_service_session(SERVICE_CONTEXT) as session:
        user = session.scalar(sa.select(User).where(User.email == admin))
        # The real fingerprint: only the signature may stop this link.
        return {"id": str(user.id), "fp": reset_fingerprint(user)}


def _own_order_link(attacker: Attacker, session: Session) -> dict:
    """A released order in the attacker's own organisation, with its genuine link."""
    from decimal import Decimal

    from baton.procurement.orders.models import POLine, PurchaseOrder
    from baton.sourcing.suppliers.models import Supplier

    tag = f"{attacker.key}-{uuid.uuid4().hex[:6]}"
    supplier = Supplier(
        id=uuid.uuid4(),
        tenant_id=attacker.org_id,
        name=f"Own supplier {tag}",
        code=f"OWN-{tag}"[:32],
        currency="EUR",
        categories=[],
        qualification_status="qualified",
    )
    po = PurchaseOrder(
        id=uuid.uuid4(),
        tenant_id=attacker.org_id,
        provider_id=attacker.org_id,
        number=f"OWN-{tag}"[:32],
        engagement_id=uuid.uuid4(),
        supplier_id=supplier.id,
        currency="EUR",
        status="released",
        submitted_at=utcnow(),
        released_at=utcnow(),
        link_nonce=f"own{tag}"[:32],
        total=Decimal("10"),
    )
    po.lines = [
        POLine(
            id=uuid.uuid4(),
            tenant_id=attacker.org_id,
            provider_id=attacker.org_id,
            po_id=po.id,
            line_no=1,
            requirement_id=uuid.uuid4(),
            requirement_line_id=uuid.uuid4(),
            snapshot_id=uuid.uuid4(),
            description="Own line",
            quantity=Decimal("1"),
            unit="pcs",
            unit_price=Decimal("10"),
            schedule=[],
            specs=[],
        )
    ]
    session.add(supplier)
    session.flush()
    session.add(po)
    session.flush()
    return {
        "po": str(po.id),
        "t": str(po.tenant_id),
        "p": str(po.provider_id),
        "r": 0,
        "n": po.link_nonce,
    }


def _victim_order_link(v: Victim) -> dict:
    from baton.procurement.orders.models import PurchaseOrder

    po_id = v.id("po_id")
    with db.new_service_session(SERVICE_CONTEXT) as session:
        po = session.get(PurchaseOrder, uuid.UUID(po_id))
        # The real nonce: only the signature may stop this link.
        return {
            "po": po_id,
            "t": str(po.tenant_id),
            "p": str(po.provider_id),
            "r": 0,
            "n": po.link_nonce,
        }


LINK_PURPOSES: dict[str, LinkPurpose] = {
    "invitation": LinkPurpose(_own_invitation, _victim_invitation),
    "reset": LinkPurpose(_own_reset, _victim_reset),
    "supplier-order": LinkPurpose(_own_order_link, _victim_order_link),
}


def _tampered(genuine: str, payload: dict) -> str:
    """The attacker's own genuine link with its payload swapped for the victim's."""
    _body, stamp, signature = genuine.rsplit(".", 2)
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body.decode().rstrip('=')}.{stamp}.{signature}"


def attacker_link_tokens(
    app: Flask, purpose: str, victim: Victim, attacker: Attacker
) -> list[tuple[str, str]]:
    """Every token an attacker can produce for a link of ``purpose``, with a label."""
    with app.app_context():
        payload = LINK_PURPOSES[purpose].victim_payload(victim)
    tokens = [
        ("garbage", "not-a-real-link"),
        ("empty payload", "e30.AAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        (
            "victim payload signed with a guessed key",
            URLSafeTimedSerializer("secret", salt=f"baton.{purpose}").dumps(payload),
        ),
        ("own link with the victim's payload", _tampered(attacker.links[purpose], payload)),
    ]
    tokens += [(f"own {other} link", t) for other, t in attacker.links.items() if other != purpose]
    return tokens
