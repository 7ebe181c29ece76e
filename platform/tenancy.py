"""The acting organisation of a unit of work, and what it may see.

A context is resolved once per request (or per job) and attached to the
database session. Both isolation layers read it: PostgreSQL row-level
security through transaction-local settings, and application scoping through
``with_loader_criteria`` (see ``baton.platform.db``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import cached_property

CLIENT = "client"
PROVIDER = "provider"
SERVICE = "service"
# ``baton.tenant_ids`` for a provider's whole engaged set (platform/rls.py).
ENGAGED = "engaged"


@dataclass(frozen=True)
class TenantContext:
    org_id: uuid.UUID | None
    org_kind: str | None
    tenant_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    user_id: uuid.UUID | None = None
    # ``tenant_ids`` is exactly the provider and the clients actively engaging
    # it, the set PostgreSQL keeps in ``provider_visibility``: the settings
    # then name it instead of listing it (platform/rls.py). A narrower set
    # (a job about one client) is always listed.
    engaged: bool = False

    @property
    def is_service(self) -> bool:
        return self.org_kind == SERVICE

    def can_see(self, tenant_id: uuid.UUID | None, provider_id: uuid.UUID | None = None) -> bool:
        if self.is_service:
            return True
        if tenant_id is None or tenant_id not in self.tenant_ids:
            return False
        if self.org_kind == PROVIDER and provider_id is not None:
            return provider_id == self.org_id
        return True

    def can_write(self, tenant_id: uuid.UUID | None, provider_id: uuid.UUID | None = None) -> bool:
        """Client-wide reference data (no provider_id) is writable only by the client."""
        if self.is_service:
            return True
        if not self.can_see(tenant_id, provider_id):
            return False
        if self.org_kind == PROVIDER:
            return provider_id == self.org_id
        return tenant_id == self.org_id

    @cached_property
    def tenant_id_list(self) -> list[uuid.UUID]:
        """The tenant ids in a fixed order, built once per context."""
        return sorted(self.tenant_ids)

    @cached_property
    def tenant_ids_literal(self) -> str:
        """The tenant ids as a PostgreSQL array literal, ``{id,id,...}``."""
        return "{" + ",".join(str(t) for t in self.tenant_id_list) + "}"

    def pg_settings(self) -> dict[str, str]:
        return {
            "baton.org_id": str(self.org_id) if self.org_id else "",
            "baton.org_kind": self.org_kind or "",
            "baton.tenant_ids": (
                ENGAGED
                if self.engaged and self.org_kind == PROVIDER
                else self.tenant_ids_literal
                if self.tenant_ids
                else ""
            ),
            "baton.user_id": str(self.user_id) if self.user_id else "",
        }


NO_CONTEXT = TenantContext(org_id=None, org_kind=None)
SERVICE_CONTEXT = TenantContext(org_id=None, org_kind=SERVICE)


def client_context(org_id: uuid.UUID, user_id: uuid.UUID | None = None) -> TenantContext:
    return TenantContext(org_id, CLIENT, frozenset({org_id}), user_id)


def provider_context(
    org_id: uuid.UUID, client_ids: set[uuid.UUID], user_id: uuid.UUID | None = None
) -> TenantContext:
    """A provider sees its own organisation's rows plus its actively engaged clients."""
    return TenantContext(org_id, PROVIDER, frozenset(client_ids) | {org_id}, user_id)


def engaged_provider_context(
    org_id: uuid.UUID, client_ids: set[uuid.UUID], user_id: uuid.UUID | None = None
) -> TenantContext:
    """A provider with every client actively engaging it: what its people see.
    ``client_ids`` must be that set, read in this transaction."""
    return TenantContext(org_id, PROVIDER, frozenset(client_ids) | {org_id}, user_id, engaged=True)
