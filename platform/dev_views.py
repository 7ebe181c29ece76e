"""Development pages: the mail the embedded mode wrote as .eml files.

Registered only in the development environment (``BATON_ENV=development``,
the ``make run`` default) or with ``BATON_DEV_PAGES=1``, never in production.
Like a local mail catcher it shows every organisation's mail to whoever opens
it, which is why it exists only where all data is demo data.
"""

from __future__ import annotations

import os

from flask import Blueprint, Flask, Response, abort, render_template

from baton.platform import mail

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


def _parts(msg):
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    return (
        text.get_content() if text is not None else "",
        html.get_content() if html is not None else None,
    )


@bp.get("/mail")
def mail_list():
    return render_template("dev/mail_list.html", messages=mail.list_eml())


@bp.get("/mail/<name>")
def mail_show(name: str):
    msg = mail.read_eml(name)
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
    _text, html = _parts(mail.read_eml(name))
    if html is None:
        abort(404)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
    )
    return response


@bp.get("/mail/<name>/raw")
def mail_raw(name: str):
    msg = mail.read_eml(name)
    return Response(
        msg.as_bytes(),
        mimetype="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/mail/<name>/attachments/<int:index>")
def mail_attachment(name: str, index: int):
    parts = list(mail.read_eml(name).iter_attachments())
    if index >= len(parts):
        abort(404)
    part = parts[index]
    filename = (part.get_filename() or f"attachment-{index}").replace('"', "")
    return Response(
        part.get_content(),
        mimetype="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
