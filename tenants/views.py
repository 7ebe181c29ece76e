"""Organisation admin pages, shared by client and provider admins."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from baton.platform import exports
from baton.platform.auth import identity, require
from baton.platform.errors import ValidationFailed
from baton.platform.forms import EmptyForm
from baton.platform.pages import confirmation, confirmed
from baton.platform.web import dbs
from baton.tenants import audit_log as audit_log_service
from baton.tenants import services
from baton.tenants.forms import InviteForm, RoleForm, TokenForm
from baton.tenants.models import roles_for

bp = Blueprint("tenants", __name__, template_folder="templates", url_prefix="/organisation")


def _role_choices() -> list[tuple[str, str]]:
    return [(r, r.capitalize()) for r in roles_for(identity().kind)]


NEW_TOKEN = "new_api_token"  # noqa: S105 - the session key, not a secret

# New people and tokens start with the least the organisation can grant.
LEAST_PRIVILEGE = "viewer"


def _least_privilege(field) -> None:
    if field.data is None:
        field.data = LEAST_PRIVILEGE


def _members_page(
    invite_form: InviteForm | None = None, errors: dict | None = None, status: int = 200
):
    ident = identity()
    invite_form = invite_form or InviteForm()
    invite_form.role.choices = _role_choices()
    _least_privilege(invite_form.role)
    return render_template(
        "tenants/members.html",
        members=services.list_members(dbs(), ident.organisation.id),
        invitations=services.list_open_invitations(dbs(), ident.organisation.id),
        invite_form=invite_form,
        roles=roles_for(ident.kind),
        action_form=EmptyForm(),
        errors=errors,
    ), status


@bp.get("/members")
@require(permission="members.manage")
def members():
    return _members_page()


@bp.post("/members/invite")
@require(permission="members.manage")
def invite():
    form = InviteForm()
    form.role.choices = _role_choices()
    if not form.validate_on_submit():
        return _members_page(form, status=400)
    ident = identity()
    try:
        invitation = services.invite(
            dbs(),
            ident.organisation,
            email=form.email.data,
            role=form.role.data,
            inviter=ident.user,
        )
    except ValidationFailed as exc:
        return _members_page(form, exc.errors, 422)
    flash(f"Invitation sent to {invitation.email}.", "success")
    return redirect(url_for("tenants.members"))


@bp.post("/members/<uuid:membership_id>/role")
@require(permission="members.manage")
def change_role(membership_id: uuid.UUID):
    form = RoleForm()
    form.role.choices = _role_choices()
    if not form.validate_on_submit():
        return _members_page(errors={"role": "Choose one of the listed roles."}, status=400)
    try:
        membership = services.change_role(
            dbs(), identity().organisation, membership_id, form.role.data
        )
    except ValidationFailed as exc:
        return _members_page(errors=exc.errors, status=422)
    flash(f"{membership.user.name} is now {membership.role}.", "success")
    return redirect(url_for("tenants.members"))


@bp.post("/members/<uuid:membership_id>/deactivate")
@require(permission="members.manage")
def deactivate(membership_id: uuid.UUID):
    EmptyForm().validate_on_submit() or _abort_csrf()
    if not confirmed():
        member = services.get_membership(dbs(), identity().organisation.id, membership_id)
        return confirmation(
            f"Deactivate {member.user.name}?",
            f"{member.user.name} ({member.user.email}) will be signed out at once and can no"
            f" longer sign in to {identity().organisation.name}. You can reactivate them later.",
            "Deactivate",
            url_for("tenants.members"),
        )
    try:
        membership = services.set_member_active(
            dbs(), identity().organisation, membership_id, False
        )
    except ValidationFailed as exc:
        return _members_page(errors=exc.errors, status=422)
    flash(
        f"{membership.user.name} can no longer sign in to {identity().organisation.name}.",
        "success",
    )
    return redirect(url_for("tenants.members"))


@bp.post("/members/<uuid:membership_id>/reactivate")
@require(permission="members.manage")
def reactivate(membership_id: uuid.UUID):
    EmptyForm().validate_on_submit() or _abort_csrf()
    membership = services.set_member_active(dbs(), identity().organisation, membership_id, True)
    flash(f"{membership.user.name} is active again.", "success")
    return redirect(url_for("tenants.members"))


@bp.post("/invitations/<uuid:invitation_id>/revoke")
@require(permission="members.manage")
def revoke_invitation(invitation_id: uuid.UUID):
    EmptyForm().validate_on_submit() or _abort_csrf()
    invitation = services.revoke_invitation(dbs(), identity().organisation, invitation_id)
    flash(f"Invitation to {invitation.email} revoked.", "success")
    return redirect(url_for("tenants.members"))


def _tokens_page(
    form: TokenForm | None = None, new_token: str | None = None, errors=None, status=200
):
    form = form or TokenForm()
    form.role.choices = _role_choices()
    _least_privilege(form.role)
    return render_template(
        "tenants/api_tokens.html",
        tokens=services.list_api_tokens(dbs(), identity().organisation.id),
        form=form,
        new_token=new_token,
        action_form=EmptyForm(),
        errors=errors,
    ), status


@bp.get("/api-tokens")
@require(permission="tokens.manage")
def api_tokens():
    # Shown on the page the creation redirected to, once: a reload shows it no
    # more and creates nothing (the cookie holding it until then is HttpOnly).
    return _tokens_page(new_token=session.pop(NEW_TOKEN, None))


@bp.post("/api-tokens")
@require(permission="tokens.manage")
def create_api_token():
    form = TokenForm()
    form.role.choices = _role_choices()
    if not form.validate_on_submit():
        return _tokens_page(form, status=400)
    ident = identity()
    try:
        token, row = services.create_api_token(
            dbs(),
            ident.organisation,
            name=form.name.data,
            role=form.role.data,
            created_by=ident.user,
        )
    except ValidationFailed as exc:
        return _tokens_page(form, errors=exc.errors, status=422)
    # Redirect after POST: reloading the page must not create a second token.
    session[NEW_TOKEN] = token
    return redirect(url_for("tenants.api_tokens"), 303)


@bp.post("/api-tokens/<uuid:token_id>/revoke")
@require(permission="tokens.manage")
def revoke_api_token(token_id: uuid.UUID):
    EmptyForm().validate_on_submit() or _abort_csrf()
    if not confirmed():
        token = services.get_api_token(dbs(), identity().organisation, token_id)
        return confirmation(
            f"Revoke the token {token.name}?",
            "Integrations that use it get 401 from then on. A revoked token cannot be"
            " restored; you would create a new one and configure it everywhere.",
            "Revoke",
            url_for("tenants.api_tokens"),
        )
    row = services.revoke_api_token(dbs(), identity().organisation, token_id)
    flash(f"Token {row.name} revoked; integrations using it now get 401.", "success")
    return redirect(url_for("tenants.api_tokens"))


@bp.get("/engagements")
@require()
def engagements():
    ident = identity()
    return render_template(
        "tenants/engagements.html", engagements=services.engagements_of(dbs(), ident.organisation)
    )


@bp.get("/audit")
@require(permission="audit.read")
def audit_log():
    org = identity().organisation
    filters, problems = audit_log_service.filters_from(request.args)
    return render_template(
        "tenants/audit_log.html",
        events=audit_log_service.read_audit(dbs(), org, filters),
        filters=filters,
        problems=problems,
        choices=audit_log_service.audit_choices(dbs(), org),
        entity_url=audit_log_service.entity_url,
        local_time=audit_log_service.local_time,
    )


@bp.get("/audit/export")
@require(permission="audit.read")
def audit_export():
    """The events as filtered on the page, as CSV or XLSX."""
    fmt = exports.format_from(request.args)
    org = identity().organisation
    filters, problems = audit_log_service.filters_from(request.args)
    if problems:
        raise ValidationFailed(problems)
    events = audit_log_service.read_audit(dbs(), org, filters, limit=exports.MAX_ROWS)
    header = ["#", f"When ({org.timezone})", "Who", "What", "About", "Id", "Changes"]
    rows = (
        [
            e.seq,
            e.created_at,
            e.actor_label,
            e.action,
            e.entity_type,
            e.entity_id,
            audit_log_service.changes_text(e.changes),
        ]  # fmt: skip
        for e in events
    )
    return exports.export_response(fmt, "audit-log", header, rows, tz_name=org.timezone)


def _abort_csrf():
    from flask_wtf.csrf import CSRFError

    raise CSRFError("The CSRF token is missing.")
