"""The app factory: wires configuration, extensions and blueprints. No I/O."""

from __future__ import annotations

from flask import Flask

from baton.platform.config import load_settings


def create_app(overrides: dict | None = None) -> Flask:
    settings = load_settings(overrides)
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(settings.flask_config())
    if app.config["BATON_PROXY_FIX"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind nginx the client address (login throttling) and the scheme
        # (links in emails) arrive in X-Forwarded-*; trust exactly that many hops.
        hops = int(app.config["BATON_PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from baton.platform.logging_setup import configure_logging

    configure_logging()

    from baton.platform.extensions import init_extensions

    init_extensions(app, settings)

    from baton.platform import web

    web.init_app(app)

    from jinja2 import ChoiceLoader, FileSystemLoader

    from baton.platform.api import init_api
    from baton.platform.areas import areas, resolve, template_folders
    from baton.platform.cli import register_cli
    from baton.platform.dev_views import init_dev_pages
    from baton.platform.health import bp as health_bp
    from baton.platform.jobs_views import bp as jobs_bp
    from baton.platform.pages import init_pages
    from baton.platform.stripe_webhook import bp as stripe_webhook_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(jobs_bp)
    app.register_blueprint(stripe_webhook_bp)
    # Domain areas keep shared page fragments and email templates in their own
    # templates/ folder; audiences find them by name like their own.
    app.jinja_loader = ChoiceLoader(
        [app.jinja_loader, *(FileSystemLoader(str(f)) for f in template_folders())]
    )
    for area in areas():
        for ref in area.blueprints:
            app.register_blueprint(resolve(ref))
        if area.init_app:
            resolve(area.init_app)(app)
    init_dev_pages(app)
    init_pages(app)
    init_api(app)
    register_cli(app)
    return app
