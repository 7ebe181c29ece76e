"""Sign in and out, switch organisation, accept invitations, reset passwords."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from baton.platform.auth import identity
from baton.platform.db import db, set_context
from baton.platform.errors import ValidationFailed
from baton.platform.forms import (
    AcceptInvitationForm,
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
    SwitchOrganisationForm,
)
from baton.platform.request_context import Actor, actor_var
from baton.platform.signing import LinkError, unsign
from baton.platform.tenancy import NO_CONTEXT
from baton.platform.web import dbs
from baton.tenants import services, sessions
from baton.tenants.invitations import PasswordRefused

bp = Blueprint("auth", __name__, template_folder="templates")

INVITATION_MAX_AGE = services.INVITATION_DAYS * 86400
RESET_MAX_AGE = 3600


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    # Browsers read a backslash as a slash: /\evil.example is another site.
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


def home_for_current() -> str:
    ident = identity()
    if ident.kind == "provider":
        return url_for("provider.home")
    if ident.kind == "client":
        return url_for("client.home")
    if getattr(ident.user, "is_operator", False):
        return url_for("operator.billing")
    return url_for("auth.no_organisation")


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(home_for_current())


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method != "POST":
        form.next.data = request.args.get("next", "")
        return render_template("auth/login.html", form=form)
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400
    address = request.remote_addr or "unknown"
    try:
        user = services.authenticate(dbs(), form.email.data, form.password.data, address)
    except services.ThrottledError as exc:
        return render_template("auth/login.html", form=form, error=exc.errors["_form"]), 429
    except ValidationFailed as exc:
        # Recorded in its own transaction: the request's own rolls back on 401.
        with db.unit_of_work(NO_CONTEXT) as s:
            services.record_login_failure(s, form.email.data, address)
        return render_template("auth/login.html", form=form, error=exc.errors["_form"]), 401
    session.clear()
    login_user(user)
    sessions.start(user)
    memberships = services.active_memberships(dbs(), user.id)
    if memberships:
        session["org_id"] = str(memberships[0].organisation_id)
    flash(f"Welcome, {user.name}.", "success")
    return redirect(_safe_next(form.next.data) or url_for("auth.index"))


@bp.post("/logout")
def logout():
    user = identity().user
    if user is not None:
        # Every copy of this session (and the person's others) ends with it.
        services.sign_out(dbs(), user.id)
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.post("/switch-organisation")
def switch_organisation():
    form = SwitchOrganisationForm()
    if not current_user.is_authenticated:
        abort(401)
    if not form.validate_on_submit():
        abort(400)
    membership = next(
        (m for m in identity().memberships if str(m.organisation_id) == form.org_id.data), None
    )
    if membership is None:
        abort(404)
    session["org_id"] = str(membership.organisation_id)
    flash(f"You are now working in {membership.organisation.name}.", "info")
    kind = membership.organisation.kind
    return redirect(url_for("provider.home" if kind == "provider" else "client.home"))


@bp.get("/no-organisation")
def no_organisation():
    return render_template("auth/no_organisation.html")


def _invitation_from(token: str):
    payload = unsign("invitation", token, INVITATION_MAX_AGE)
    return services.usable_invitation(dbs(), uuid.UUID(payload["id"]))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    form = AcceptInvitationForm()
    try:
        invitation = _invitation_from(token)
    except LinkError as exc:
        return render_template("auth/link_problem.html", message=str(exc)), 400
    except ValidationFailed as exc:
        return render_template("auth/link_problem.html", message=exc.errors["token"]), 400
    existing = services.find_user(dbs(), invitation.email)
    has_password = existing is not None and existing.password_hash is not None
    if request.method != "POST" or not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template(
            "auth/accept_invitation.html",
            form=form,
            invitation=invitation,
            has_password=has_password,
        ), status
    set_context(dbs(), services.context_for(dbs(), invitation.organisation))
    # The signed link is the credential; the audit trail names whose it was.
    actor_var.set(Actor("invitation", str(invitation.id), invitation.email))
    try:
        user, membership = services.accept_invitation(
            dbs(),
            invitation,
            name=form.name.data or "",
            password=form.password.data,
            address=request.remote_addr or "unknown",
        )
    except ValidationFailed as exc:
        if isinstance(exc, PasswordRefused):
            # Counted in its own transaction: the request's own rolls back.
            with db.unit_of_work(NO_CONTEXT) as s:
                services.record_login_failure(s, invitation.email, request.remote_addr or "unknown")
        return render_template(
            "auth/accept_invitation.html",
            form=form,
            invitation=invitation,
            has_password=has_password,
            errors=exc.errors,
        ), exc.status
    session.clear()
    login_user(user)
    sessions.start(user)
    session["org_id"] = str(membership.organisation_id)
    flash(f"Welcome to {invitation.organisation.name}.", "success")
    return redirect(url_for("auth.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if request.method == "POST" and form.validate_on_submit():
        services.request_password_reset(dbs(), form.email.data)
        flash("If that address has an account, a reset link is on its way.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form), (
        400 if request.method == "POST" else 200
    )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    form = ResetPasswordForm()
    try:
        payload = unsign("reset", token, RESET_MAX_AGE)
        # Checked before the form is shown, so a used link says so at once.
        services.reset_user(dbs(), uuid.UUID(payload["id"]), payload["fp"])
    except LinkError as exc:
        return render_template("auth/link_problem.html", message=str(exc)), 400
    except ValidationFailed as exc:
        return render_template("auth/link_problem.html", message=exc.errors["token"]), 400
    if request.method != "POST" or not form.validate_on_submit():
        return render_template("auth/reset_password.html", form=form), (
            400 if request.method == "POST" else 200
        )
    try:
        services.reset_password(dbs(), uuid.UUID(payload["id"]), payload["fp"], form.password.data)
    except ValidationFailed as exc:
        if "token" in exc.errors:
            return render_template("auth/link_problem.html", message=exc.errors["token"]), 400
        return render_template("auth/reset_password.html", form=form, errors=exc.errors), 422
    flash("Your password is changed. Sign in with the new one.", "success")
    return redirect(url_for("auth.login"))
