"""The tenants area's answer to the base layer's ``Directory`` questions."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform.directory import OrganisationFacts
from baton.platform.tenancy import TenantContext
from baton.tenants import identity, services
from baton.tenants.models import Organisation, User
from baton.tenants.permissions import holders


def _facts(org: Organisation) -> OrganisationFacts:
    return OrganisationFacts(org.id, org.name, org.kind, org.timezone or "UTC", org.is_active)


class TenantsDirectory:
    def load_user(self, session: Session, user_id):
        return identity.load_user(session, str(user_id))

    def resolve_identity(self, session: Session):
        return identity.resolve_identity(session)

    def context_for(
        self, session: Session, org_id: uuid.UUID, user_id: uuid.UUID | None = None
    ) -> TenantContext:
        return services.context_for(session, services.get_organisation(session, org_id), user_id)

    def visible_tenant_ids(self, session: Session, org_id: uuid.UUID) -> set[uuid.UUID]:
        return services.engaged_client_ids(session, org_id) | {org_id}

    def organisation(self, session: Session, org_id: uuid.UUID) -> OrganisationFacts | None:
        org = session.get(Organisation, org_id)
        return _facts(org) if org is not None else None

    def find_organisation(self, session: Session, slug_or_name: str) -> OrganisationFacts | None:
        org = session.scalar(
            sa.select(Organisation).where(
                sa.or_(Organisation.slug == slug_or_name, Organisation.name == slug_or_name)
            )
        )
        return _facts(org) if org is not None else None

    def active_organisations(
        self, session: Session, kinds: Iterable[str]
    ) -> list[OrganisationFacts]:
        rows = session.scalars(
            sa.select(Organisation)
            .where(Organisation.is_active, Organisation.kind.in_(list(kinds)))
            .order_by(Organisation.id)
        )
        return [_facts(org) for org in rows]

    def user_emails(self, session: Session, user_ids: Iterable[uuid.UUID]) -> list[str]:
        return services.user_emails(session, user_ids)

    def admin_emails(self, session: Session, org_id: uuid.UUID) -> list[str]:
        return services.member_emails(session, org_id, ("admin",))

    def roles_with(self, permission: str, kind: str | None) -> tuple[str, ...]:
        return holders(permission, kind) if kind else ()

    def operator_emails(self, session: Session) -> list[str]:
        return sorted(
            set(session.scalars(sa.select(User.email).where(User.is_operator, User.is_active)))
        )
