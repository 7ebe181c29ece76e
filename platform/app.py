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

    from baton.client_portal.views import bp as client_bp
    from baton.platform.api import init_api
    from baton.platform.auth_views import bp as auth_bp
    from baton.platform.cli import register_cli
    from baton.platform.health import bp as health_bp
    from baton.platform.pages import init_pages
    from baton.provider_console.views import bp as provider_bp
    from baton.tenants.views import bp as tenants_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(client_bp)
    app.register_blueprint(provider_bp)
    app.register_blueprint(tenants_bp)

    from baton.client_portal.documents.views import bp as client_documents_bp
    from baton.client_portal.suppliers.views import bp as client_suppliers_bp

    app.register_blueprint(client_suppliers_bp)
    app.register_blueprint(client_documents_bp)

    from baton.client_portal.requirements.import_views import bp as client_imports_bp
    from baton.client_portal.requirements.views import bp as client_requirements_bp
    from baton.provider_console.queue.views import bp as provider_queue_bp
    from baton.provider_console.review.views import bp as provider_review_bp

    app.register_blueprint(client_requirements_bp)
    app.register_blueprint(client_imports_bp)
    app.register_blueprint(provider_queue_bp)
    app.register_blueprint(provider_review_bp)

    from baton.platform.dev_views import init_dev_pages
    from baton.platform.jobs_views import bp as jobs_bp

    app.register_blueprint(jobs_bp)
    init_dev_pages(app)
    init_pages(app)
    init_api(app)
    register_cli(app)
    return app
