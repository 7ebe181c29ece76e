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


LINK_PURPOSES: dict[str, LinkPurpose] = {
    "invitation": LinkPurpose(_own_invitation, _victim_invitation),
    "reset": LinkPurpose(_own_reset, _victim_reset),
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
