"""A provider's billing standing: paid up, behind (a banner), or read-only.

Read-only starts ``BATON_BILLING_GRACE_DAYS`` after ``past_due_since`` (the
first failed payment Stripe told us of) and ends when an invoice is paid. A
subscription canceled while behind stays read-only until it is paid for; a
provider that never subscribed, or canceled while paid up, is not
restricted. Nothing is ever deleted either way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from baton.platform.db import utcnow
from baton.tenants.billing.models import BillingAccount

_CACHE = "billing_standing"


@dataclass(frozen=True)
class Standing:
    status: str
    past_due_since: datetime | None
    grace_ends_at: datetime | None
    read_only: bool

    @property
    def behind(self) -> bool:
        return self.past_due_since is not None


def grace() -> timedelta:
    return timedelta(days=float(current_app.config.get("BATON_BILLING_GRACE_DAYS", 14)))


def billing_standing(
    session: Session, provider_id: uuid.UUID, now: datetime | None = None
) -> Standing:
    """The provider's standing, read once per session (a request's session is its own)."""
    cache = session.info.setdefault(_CACHE, {})
    if provider_id in cache:
        return cache[provider_id]
    row = session.execute(
        sa.select(BillingAccount.status, BillingAccount.past_due_since).where(
            BillingAccount.provider_id == provider_id
        )
    ).first()
    status, since = (row.status, row.past_due_since) if row else ("none", None)
    ends = since + grace() if since is not None else None
    standing = Standing(
        status=status,
        past_due_since=since,
        grace_ends_at=ends,
        read_only=ends is not None and (now or utcnow()) >= ends,
    )
    cache[provider_id] = standing
    return standing
