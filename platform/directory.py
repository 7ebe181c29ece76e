"""What the base layer asks of the organisation directory, without importing it.

Sign-in, notifications, schedules and failure digests need a few facts about
organisations and people (an address, a time zone, who the admins are). The
tenants area owns those tables and installs an implementation of
``Directory`` at start-up; the base layer reads it through ``directory()``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask, current_app
from sqlalchemy.orm import Session

from baton.platform.tenancy import TenantContext

KEY = "baton.directory"


@dataclass(frozen=True)
class OrganisationFacts:
    id: uuid.UUID
    name: str
    kind: str
    timezone: str
    is_active: bool


class Directory(Protocol):
    def load_user(self, session: Session, user_id: uuid.UUID) -> Any | None:
        """The active user with this id, for flask-login."""

    def resolve_identity(self, session: Session) -> Any:
        """The request's ``Identity``: from its API token or its browser session."""

    def context_for(
        self, session: Session, org_id: uuid.UUID, user_id: uuid.UUID | None = None
    ) -> TenantContext: ...

    def visible_tenant_ids(self, session: Session, org_id: uuid.UUID) -> set[uuid.UUID]:
        """The organisation itself and, for a provider, its actively engaged clients."""

    def organisation(self, session: Session, org_id: uuid.UUID) -> OrganisationFacts | None: ...

    def find_organisation(
        self, session: Session, slug_or_name: str
    ) -> OrganisationFacts | None: ...

    def active_organisations(
        self, session: Session, kinds: Iterable[str]
    ) -> list[OrganisationFacts]: ...

    def user_emails(self, session: Session, user_ids: Iterable[uuid.UUID]) -> list[str]:
        """Addresses of the active users among these."""

    def admin_emails(self, session: Session, org_id: uuid.UUID) -> list[str]: ...

    def operator_emails(self, session: Session) -> list[str]: ...

    def roles_with(self, permission: str, kind: str | None) -> tuple[str, ...]:
        """The roles that hold ``permission`` in an organisation of ``kind``."""


def install(app: Flask, implementation: Directory) -> None:
    app.extensions[KEY] = implementation


def directory() -> Directory:
    found = current_app.extensions.get(KEY)
    if found is None:
        raise RuntimeError("no organisation directory installed (is the tenants area declared?)")
    return found
