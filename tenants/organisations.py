"""Organisations, and the tenant context an organisation acts in."""

from __future__ import annotations

import re
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform import audit, formatting
from baton.platform.db import get_context
from baton.platform.errors import NotFound, ValidationFailed
from baton.platform.tenancy import TenantContext, client_context, engaged_provider_context
from baton.tenants.models import (
    ORG_KINDS,
    Engagement,
    Organisation,
)

# No whitespace or control characters (a NUL cannot even be stored).
EMAIL_RE = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
ORG_FIELDS = ("name", "slug", "kind", "code", "timezone", "locale", "is_active")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _check_email(email: str, field: str = "email") -> str:
    email = normalise_email(email)
    if not EMAIL_RE.match(email):
        raise ValidationFailed({field: "Enter a valid email address, like name@example.com."})
    return email


# --- organisations and context -------------------------------------------------


def create_organisation(
    session: Session,
    *,
    name: str,
    kind: str,
    code: str,
    slug: str | None = None,
    timezone: str = "UTC",
    locale: str = "en",
) -> Organisation:
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "Name is required."
    if kind not in ORG_KINDS:
        errors["kind"] = "Kind must be 'client' or 'provider'."
    code = (code or "").strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{2,12}", code):
        errors["code"] = "Code must be 2 to 12 letters or digits, e.g. ACME."
    if formatting.zone(timezone).key != (timezone or "UTC"):
        errors["timezone"] = "Use an IANA time zone, e.g. Europe/Berlin."
    if not formatting.known_locale(locale):
        errors["locale"] = "Use a locale such as en, en_GB or de."
    slug = slug or re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if errors:
        raise ValidationFailed(errors)
    if session.scalar(sa.select(Organisation.id).where(Organisation.slug == slug)):
        raise ValidationFailed({"name": f"An organisation called {name!r} already exists."})
    org = Organisation(
        id=uuid.uuid4(),
        name=name,
        kind=kind,
        code=code,
        slug=slug,
        timezone=timezone,
        locale=locale,
    )
    session.add(org)
    session.flush()
    audit.record(
        session,
        tenant_id=org.id,
        action="organisation.created",
        entity_type="organisation",
        entity_id=org.id,
        changes=audit.diff({}, audit.snapshot(org, ORG_FIELDS)),
    )
    return org


def engaged_client_ids(session: Session, provider_id: uuid.UUID) -> set[uuid.UUID]:
    """The clients actively engaging this provider. Read once per request: when the
    session already acts for this provider, its context holds them."""
    ctx = get_context(session)
    if ctx.org_kind == "provider" and ctx.org_id == provider_id:
        return set(ctx.tenant_ids) - {provider_id}
    return set(
        session.scalars(
            sa.select(Engagement.client_id).where(
                Engagement.provider_id == provider_id, Engagement.status == "active"
            )
        )
    )


def context_for(
    session: Session, org: Organisation, user_id: uuid.UUID | None = None
) -> TenantContext:
    if org.kind == "client":
        return client_context(org.id, user_id)
    return engaged_provider_context(org.id, engaged_client_ids(session, org.id), user_id)


def get_organisation(session: Session, org_id: uuid.UUID) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("organisation")
    return org
