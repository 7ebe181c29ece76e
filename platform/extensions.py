"""Extension singletons, bound to the app in the factory."""

from __future__ import annotations

from flask import Flask
from flask_bootstrap import Bootstrap5
from flask_wtf import CSRFProtect

from baton.platform.auth import login_manager
from baton.platform.config import Settings
from baton.platform.db import Database

csrf = CSRFProtect()
bootstrap = Bootstrap5()


def init_extensions(app: Flask, settings: Settings) -> None:
    database = Database()
    database.configure(settings.database_url, settings.service_database_url)
    app.extensions["baton.db"] = database
    login_manager.init_app(app)
    csrf.init_app(app)
    bootstrap.init_app(app)
