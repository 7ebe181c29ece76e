"""Development pages: the mail the embedded mode wrote as .eml files.

Registered only in the development environment (``BATON_ENV=development``,
the ``make run`` default) or with ``BATON_DEV_PAGES=1``, never in production
nor where real mail goes out. Even there it shows a signed-in person only the
mail sent to their own address (a platform operator sees all of it): the
mails hold password-reset and invitation links, and an anonymous visitor who
could read them could sign in as anyone.
"""

from __future__ import annotations

import os
from email.message import EmailMessage
from email.utils import getaddresses

from flask import Blueprint, Flask, Response, abort, render_template

from baton.platform import mail_files
from baton.platform.auth import identity, login_manager

bp = Blueprint("dev", __name__, url_prefix="/dev")


def enabled(app: Flask) -> bool:
    settings = app.config["BATON_SETTINGS"]
    # Only where mail is written to files (no SMTP): a deployment that forgot
    # BATON_ENV=production but sends real mail still never shows it here.
    if settings.production or settings.smtp_host:
        return False
    flag = os.environ.get("BATON_DEV_PAGES", "").strip().lower()
    if flag in ("0", "false", "no"):
        return False
    return settings.env == "development" or flag in ("1", "true", "yes")


def init_dev_pages(app: Flask) -> None:
    if enabled(app):
        app.register_blueprint(bp)


@bp.before_request
def _signed_in():
    if identity().user is None:
        return login_manager.unauthorized()
    return None


def _addressed_to(to_header: str) -> set[str]:
    return {address.lower() for _name, address in getaddresses([to_header]) if address}


def _mine(to_header: str) -> bool:
    user = identity().user
    return bool(getattr(user, "is_operator", False)) or user.email.lower() in _addressed_to(
        to_header
    )


def _message(name: str) -> EmailMessage:
    """A stored message the viewer may read; any other is not found."""
    msg = mail_files.read_eml(name)
    if not _mine(str(msg.get("To", ""))):
        abort(404)
    return msg


def _parts(msg):
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    return (
        text.get_content() if text is not None else "",
        html.get_content() if html is not None else None,
    )


@bp.get("/mail")
def mail_list():
    mine = [m for m in mail_files.list_eml(limit=2000) if _mine(str(m["to"]))][:200]
    return render_template("dev/mail_list.html", messages=mine)


@bp.get("/mail/<name>")
def mail_show(name: str):
    msg = _message(name)
    text, html = _parts(msg)
    attachments = [
        (i, a.get_filename() or f"attachment-{i}", a.get_content_type(), len(a.get_content()))
        for i, a in enumerate(msg.iter_attachments())
    ]
    return render_template(
        "dev/mail_show.html", name=name, msg=msg, text=text, html=html, attachments=attachments
    )


@bp.get("/mail/<name>/html")
def mail_html(name: str):
    """The HTML part alone, sandboxed: no script, no requests to elsewhere."""
    _text, html = _parts(_message(name))
    if html is None:
        abort(404)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
    )
    return response


@bp.get("/mail/<name>/raw")
def mail_raw(name: str):
    msg = _message(name)
    return Response(
        msg.as_bytes(),
        mimetype="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/mail/<name>/attachments/<int:index>")
def mail_attachment(name: str, index: int):
    parts = list(_message(name).iter_attachments())
    if index >= len(parts):
        abort(404)
    part = parts[index]
    filename = (part.get_filename() or f"attachment-{index}").replace('"', "")
    return Response(
        part.get_content(),
        mimetype="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
