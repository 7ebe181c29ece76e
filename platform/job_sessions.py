"""The session a job body runs in: its tenant's context, under the app role.

A job acts for the tenant (and provider) of its outbox row, as the person who
caused it would: row-level security and the application scoping apply to it
as they do to a request. Only jobs declared ``cross_tenant=True`` (audit
verification; later SLA roll-ups and billing pushes) get the service role,
and any other body that tries to open a service session is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from baton.platform.db import db, refuse_service_sessions
from baton.platform.tenancy import NO_CONTEXT, PROVIDER, TenantContext


def _uuid(value) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


def job_context(
    control: Session,
    tenant_id: uuid.UUID | None,
    provider_id: uuid.UUID | None,
    user_id: uuid.UUID | None = None,
) -> TenantContext:
    """The context a row's job acts in, read with the runner's own session.

    A provider's job about one client sees that client (while the engagement
    is active) and the provider, not the provider's other clients; a
    provider's job about itself sees what the provider sees; a row about no
    tenant (a password reset) sees no tenant rows at all.
    """
    from baton.platform.directory import directory

    acting = provider_id or tenant_id
    if acting is None:
        return NO_CONTEXT
    ctx = directory().context_for(control, acting, user_id)
    about_client = tenant_id is not None and tenant_id != provider_id
    if provider_id is not None and about_client and ctx.org_kind == PROVIDER:
        narrowed = frozenset({tenant_id, provider_id}) & ctx.tenant_ids
        ctx = TenantContext(ctx.org_id, ctx.org_kind, narrowed, ctx.user_id)
    return ctx


def payload_context(control: Session, payload: dict) -> TenantContext:
    return job_context(
        control,
        _uuid(payload.get("_tenant_id")),
        _uuid(payload.get("_provider_id")),
        _uuid(payload.get("_requested_by_id")),
    )


@contextmanager
def tenant_body(job_name: str, ctx: TenantContext) -> Iterator[Session]:
    """A unit of work in ``ctx`` under the app role, committed when the body
    returns; the service role is refused inside it."""
    token = refuse_service_sessions.set(job_name)
    try:
        with db.unit_of_work(ctx) as session:
            yield session
    finally:
        refuse_service_sessions.reset(token)
