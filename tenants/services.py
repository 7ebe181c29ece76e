"""The tenants area's services, in one namespace for callers.

Rules live by concept: ``organisations`` (and the context an organisation
acts in), ``people`` (users, memberships, roles), ``invitations``,
``signin`` (passwords, throttling, resets), ``engagements`` and ``tokens``.
Services never read the request: callers pass the acting organisation and
user. Every change writes an audit event in the same transaction.
"""

from __future__ import annotations

from baton.tenants.engagements import (
    ENGAGEMENT_FIELDS,
    create_engagement,
    engagements_of,
    find_engagement,
    set_engagement_status,
)
from baton.tenants.invitations import (
    INVITATION_DAYS,
    accept_invitation,
    invite,
    list_open_invitations,
    revoke_invitation,
    usable_invitation,
)
from baton.tenants.organisations import (
    EMAIL_RE,
    ORG_FIELDS,
    context_for,
    create_organisation,
    engaged_client_ids,
    get_organisation,
    normalise_email,
)
from baton.tenants.people import (
    active_memberships,
    add_member,
    change_role,
    create_user,
    find_user,
    get_membership,
    list_members,
    member_emails,
    organisation_names,
    set_member_active,
    user_emails,
    user_names,
)
from baton.tenants.signin import (
    MAX_FAILURES_PER_ACCOUNT,
    MAX_FAILURES_PER_ADDRESS,
    RESET_EMAIL_INTERVAL,
    THROTTLE_WINDOW,
    ThrottledError,
    authenticate,
    record_login_failure,
    request_password_reset,
    reset_fingerprint,
    reset_password,
    reset_user,
    sign_out,
    throttle_problem,
)
from baton.tenants.tokens import (
    create_api_token,
    get_api_token,
    list_api_tokens,
    recent_audit,
    revoke_api_token,
    token_owner,
    token_with_context,
)

__all__ = [
    "ENGAGEMENT_FIELDS",
    "EMAIL_RE",
    "INVITATION_DAYS",
    "MAX_FAILURES_PER_ACCOUNT",
    "MAX_FAILURES_PER_ADDRESS",
    "ORG_FIELDS",
    "RESET_EMAIL_INTERVAL",
    "THROTTLE_WINDOW",
    "ThrottledError",
    "accept_invitation",
    "active_memberships",
    "add_member",
    "authenticate",
    "change_role",
    "context_for",
    "create_api_token",
    "create_engagement",
    "create_organisation",
    "create_user",
    "engaged_client_ids",
    "engagements_of",
    "find_engagement",
    "find_user",
    "get_api_token",
    "get_membership",
    "get_organisation",
    "invite",
    "list_api_tokens",
    "list_members",
    "list_open_invitations",
    "member_emails",
    "normalise_email",
    "organisation_names",
    "recent_audit",
    "record_login_failure",
    "request_password_reset",
    "reset_fingerprint",
    "reset_password",
    "reset_user",
    "revoke_api_token",
    "revoke_invitation",
    "set_engagement_status",
    "set_member_active",
    "sign_out",
    "throttle_problem",
    "token_owner",
    "token_with_context",
    "usable_invitation",
    "user_emails",
    "user_names",
]
