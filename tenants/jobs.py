"""Emails about accounts: invitations and password resets."""

from __future__ import annotations

import uuid

from flask import url_for
from sqlalchemy.orm import Session

from baton.platform import formatting, mail
from baton.platform.jobs import job
from baton.platform.signing import sign
from baton.tenants.models import Invitation, User
from baton.tenants.services import reset_fingerprint


@job(
    "tenants.send_invitation",
    queue="high",
    label="Invitation email",
    entity=lambda p: ("invitation", p["invitation_id"]),
)
def send_invitation(session: Session, payload: dict) -> None:
    invitation = session.get(Invitation, uuid.UUID(payload["invitation_id"]))
    if invitation is None or invitation.accepted_at or invitation.revoked_at:
        return
    token = sign("invitation", {"id": str(invitation.id)})
    inviter = session.get(User, invitation.invited_by_id) if invitation.invited_by_id else None
    mail.send(
        mail.OutgoingMail(
            to=[invitation.email],
            subject=f"You are invited to {invitation.organisation.name} on Baton",
            template="invitation",
            context={
                "inviter": inviter.name if inviter else "An administrator",
                "organisation": invitation.organisation.name,
                "role": invitation.role,
                "expires": formatting.when(
                    invitation.expires_at,
                    invitation.organisation.timezone,
                    invitation.organisation.locale,
                ),
                "link": url_for("auth.accept_invitation", token=token, _external=True),
            },
            key=f"invitation:{invitation.id}",
            tenant_id=invitation.organisation_id,
            outbox_id=uuid.UUID(payload["_outbox_id"]),
        )
    )


@job(
    "tenants.send_password_reset",
    queue="high",
    label="Password reset email",
    entity=lambda p: ("user", p["user_id"]),
)
def send_password_reset(session: Session, payload: dict) -> None:
    user = session.get(User, uuid.UUID(payload["user_id"]))
    if user is None or not user.is_active:
        return
    token = sign("reset", {"id": str(user.id), "fp": reset_fingerprint(user)})
    mail.send(
        mail.OutgoingMail(
            to=[user.email],
            subject="Reset your Baton password",
            template="password_reset",
            context={
                "name": user.name,
                "link": url_for("auth.reset_password", token=token, _external=True),
            },
            key=f"reset:{payload['_outbox_id']}",
            outbox_id=uuid.UUID(payload["_outbox_id"]),
        )
    )
