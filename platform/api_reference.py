"""The API reference for people: Swagger UI rendering /api/v1/openapi.json.

Swagger UI's files come from the installed swagger-ui-bundle package and are
served by the app (no CDN), and the page runs no inline script: its start-up
is a static file of ours, so it works under ``script-src 'self'``.
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint(
    "api_reference",
    __name__,
    static_folder=swagger_ui_path,
    static_url_path="/api/reference/assets",
)


@bp.get("/api/reference")
def page() -> str:
    return render_template("api/reference.html", spec_url=url_for("api-docs.openapi_json"))
