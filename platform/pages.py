"""Shared page plumbing: template helpers, navigation, error pages."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime

from flask import Flask, flash, jsonify, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from baton.platform import formatting
from baton.platform.areas import NavEntry, nav_entries
from baton.platform.auth import identity
from baton.platform.errors import ServiceError, ValidationFailed
from baton.platform.request_context import request_id_var
from baton.platform.web import refuse

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    401: ("Sign in needed", "Sign in to continue."),
    402: ("Payment needed", "Your organisation's subscription is unpaid; Baton is read-only."),
    403: ("Not allowed", "Your role does not allow this. Ask your organisation's admin."),
    404: ("Not found", "There is nothing here, or it is not yours to see."),
    405: ("Not allowed", "This address does not accept that method."),
    409: ("Conflict", "That change conflicts with the current state."),
    413: ("Too large", "The upload is larger than allowed."),
    422: ("Check your input", "Some of what you entered needs fixing."),
    429: ("Slow down", "Too many attempts. Wait a few minutes."),
    500: (
        "Something went wrong",
        "The error was logged. Try again, and quote the reference if it persists.",
    ),
}


BANNERS = "baton.page_banners"


def add_banner(app: Flask, banner: Callable[[], Markup | None]) -> None:
    """An area's notice at the top of every page (its HTML, or None for none):
    the base template shows it without naming the area."""
    app.extensions.setdefault(BANNERS, []).append(banner)


def page_banners() -> list[Markup]:
    from flask import current_app

    shown = (banner() for banner in current_app.extensions.get(BANNERS, ()))
    return [html for html in shown if html]


def nav_items() -> list[NavEntry]:
    """The areas' links for this kind of organisation that this role may use."""
    ident = identity()
    # A platform operator (a person, not an organisation) also gets the
    # operator's entries, with or without an organisation of their own.
    operator = nav_entries("operator") if getattr(ident.user, "is_operator", False) else []
    if ident.kind is None:
        return operator
    return [
        entry
        for entry in nav_entries(ident.kind)
        if entry.permission is None or ident.can(entry.permission)
    ] + operator


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _too_large() -> str:
    from flask import current_app

    limit = current_app.config["BATON_SETTINGS"].max_upload_bytes / (1024 * 1024)
    return (
        f"The upload is larger than the {limit:g} MB limit per file; nothing was saved."
        " Split or compress the file and try again."
    )


def error_response(status: int, detail: str | None = None, errors: dict | None = None):
    title, message = MESSAGES.get(status, ("Error", "Something went wrong."))
    if status == 413 and detail is None:
        detail = _too_large()
    if _wants_json():
        body = {"status": status, "message": detail or message}
        if errors:
            body["errors"] = errors
        return jsonify(body), status
    return render_template(
        "errors/error.html", title=title, message=detail or message, request_id=request_id_var.get()
    ), status


def refused(exc: ServiceError, back: str, category: str = "error"):
    """A form's action was refused: nothing of it is kept, the user is told why
    and sent ``back``. Not found stays a 404 page (no existence leak)."""
    if exc.status == 404:
        raise exc
    refuse()
    flash(str(exc) if exc.status != 403 else MESSAGES[403][1], category)
    return redirect(back)


def _reader() -> tuple[str | None, str | None]:
    """The time zone and locale of the organisation the page is shown to."""
    org = identity().organisation
    return getattr(org, "timezone", None), getattr(org, "locale", None)


def _when(value) -> str:
    tz, locale = _reader()
    return formatting.when(value, tz, locale)


def _day(value) -> str:
    tz, locale = _reader()
    if isinstance(value, datetime) and value.tzinfo is not None:
        # The day an instant falls on is the reader's day, not Greenwich's.
        value = value.astimezone(formatting.zone(tz))
    return formatting.day(value, locale)


def _amount(value, currency: str | None) -> str:
    return formatting.amount(value, currency, _reader()[1])


def confirmed() -> bool:
    """Did the person confirm this action (the browser's dialog or the confirmation page)?"""
    return request.form.get("confirmed") == "yes"


def confirmation(title: str, question: str, button: str, back: str):
    """The page that asks before an action that cannot be taken back; it changes
    nothing, and its button posts the same form again, confirmed."""
    return render_template(
        "confirm.html",
        title=title,
        question=question,
        button=button,
        action=request.path,
        back=back,
    )


def _describe_events(events) -> list:
    from baton.platform import audit_text
    from baton.platform.web import dbs

    tz, locale = _reader()
    return audit_text.describe(dbs(), events, tz, locale)


def init_pages(app: Flask) -> None:
    from baton.platform.workflow import MACHINES

    app.jinja_env.globals.update(
        current_identity=identity,
        nav_items=nav_items,
        page_banners=page_banners,
        machine=MACHINES.__getitem__,
        describe_events=_describe_events,
    )
    app.jinja_env.filters.update(
        money=formatting.money,
        quantity=formatting.quantity,
        counted=formatting.count,
        when=_when,
        day=_day,
        amount=_amount,
        line_total=formatting.line_total,
        total_value=formatting.total_value,
    )

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return error_response(
            400, "This form has expired or was not sent from Baton. Reload the page and try again."
        )

    @app.errorhandler(ValidationFailed)
    def _invalid(exc: ValidationFailed):
        return error_response(422, str(exc), exc.errors)

    @app.errorhandler(ServiceError)
    def _service(exc: ServiceError):
        return error_response(exc.status, str(exc) if exc.status not in (404, 403) else None)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return error_response(exc.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        # The failed statement may have left the session unusable: roll back
        # first, so the error page itself (the organisation in the top bar)
        # can still be read, and nothing of the request is kept.
        with contextlib.suppress(Exception):  # the page must render even so
            refuse()
        return error_response(500)
