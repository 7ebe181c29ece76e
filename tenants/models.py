"""Organisations, users, memberships, engagements and API tokens.

These are the platform directory: authentication reads them before any
tenant context exists, so they carry no row-level security (see
docs/decisions/0002-directory-tables.md). Every query of them in a service
filters by the acting organisation explicitly.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from baton.platform.db import Base, IdMixin

ORG_KINDS = ("client", "provider")
CLIENT_ROLES = ("admin", "sourcing", "approver", "viewer")
PROVIDER_ROLES = ("admin", "buyer", "viewer")
ENGAGEMENT_STATUSES = ("active", "suspended", "ended")


def roles_for(kind: str) -> tuple[str, ...]:
    return CLIENT_ROLES if kind == "client" else PROVIDER_ROLES


class Organisation(IdMixin, Base):
    __tablename__ = "organisations"

    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    # Prefix of purchase-order numbers, e.g. ACME-000123.
    code: Mapped[str] = mapped_column(sa.String(12))
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    # How its people read amounts and dates (a Babel/CLDR locale: en, en_GB, de).
    locale: Mapped[str] = mapped_column(sa.String(16), default="en", server_default="en")
    is_active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (sa.CheckConstraint("kind IN ('client', 'provider')", name="kind"),)


class User(IdMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    is_operator: Mapped[bool] = mapped_column(default=False)
    # Raised to end every session of this person at once (sign-out, a new
    # password, deactivation): a session remembers the value it started with.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    last_login_at: Mapped[datetime | None]
    # At most one reset email per window, so nobody can flood a mailbox with them.
    password_reset_sent_at: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")

    # flask-login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class Membership(IdMixin, Base):
    __tablename__ = "memberships"

    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(16))
    is_active: Mapped[bool] = mapped_column(default=True)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("user_id", "organisation_id", name="uq_membership_user_org"),
    )


class Engagement(IdMixin, Base):
    __tablename__ = "engagements"

    client_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    # SLA targets in business hours; measured by the SLA clock.
    sla_handoff_to_release_hours: Mapped[Decimal] = mapped_column(
        sa.Numeric(8, 2), default=Decimal("48")
    )
    sla_release_to_ack_hours: Mapped[Decimal] = mapped_column(
        sa.Numeric(8, 2), default=Decimal("72")
    )
    # The business calendar the SLA clocks and the supplier chasers count on
    # (tenants/calendars.py). No time zone means the provider's.
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    # ISO weekdays as digits, Monday 1: "12345" is Monday to Friday.
    working_days: Mapped[str] = mapped_column(sa.String(7), default="12345", server_default="12345")
    day_starts: Mapped[time] = mapped_column(
        sa.Time, default=time(9), server_default=sa.text("'09:00:00'")
    )
    day_ends: Mapped[time] = mapped_column(
        sa.Time, default=time(17), server_default=sa.text("'17:00:00'")
    )
    # Public holidays from the ``holidays`` package: ISO 3166 country, subdivision.
    holiday_country: Mapped[str | None] = mapped_column(sa.String(3))
    holiday_subdivision: Mapped[str | None] = mapped_column(sa.String(10))
    # The engagement's own days off: [{"date": "2027-12-24", "label": "Plant closed"}].
    days_off: Mapped[list] = mapped_column(sa.JSON, default=list, server_default=sa.text("'[]'"))
    # Supplier chasers: the first after this many business hours unacknowledged
    # (None: the release-to-acknowledgement target), then every ``chase_every_hours``,
    # at most ``chase_max`` per order; 0 turns automatic chasers off.
    chase_after_hours: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 2))
    chase_every_hours: Mapped[Decimal] = mapped_column(
        sa.Numeric(8, 2), default=Decimal("24"), server_default="24"
    )
    chase_max: Mapped[int] = mapped_column(default=3, server_default="3")
    # Also chase lines whose promised (or scheduled) date passed without receipt.
    chase_late_lines: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # SLA targets beyond the two hour columns above: {metric: {"percent", "within_hours",
    # "credit_percent"}} as tenants/sla_targets.py reads and validates them.
    sla_targets: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default=sa.text("'{}'"))
    # The month's service fee the SLA credits are a percentage of, and their cap.
    monthly_fee: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 2))
    fee_currency: Mapped[str | None] = mapped_column(sa.String(3))
    credit_cap_percent: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))

    client: Mapped[Organisation] = relationship(foreign_keys=[client_id])
    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])

    __table_args__ = (
        sa.UniqueConstraint("client_id", "provider_id", name="uq_engagement_client_provider"),
        sa.CheckConstraint("status IN ('active', 'suspended', 'ended')", name="status"),
        sa.CheckConstraint("client_id <> provider_id", name="distinct_parties"),
    )


class Invitation(IdMixin, Base):
    __tablename__ = "invitations"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(254))
    role: Mapped[str] = mapped_column(sa.String(16))
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()


class ApiToken(IdMixin, Base):
    __tablename__ = "api_tokens"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(sa.String(100))
    # The role the token acts with inside its organisation.
    role: Mapped[str] = mapped_column(sa.String(16))
    # First characters of the token, shown in lists so people can tell tokens apart.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship()


class LoginFailure(IdMixin, Base):
    """Failed sign-ins, counted per account and per address for throttling."""

    __tablename__ = "login_failures"

    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    address: Mapped[str] = mapped_column(sa.String(64), index=True)
