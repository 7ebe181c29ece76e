"""Start-up hooks of the tenants area."""

from flask import Flask

from baton.platform.directory import install
from baton.tenants.directory import TenantsDirectory


def init_app(app: Flask) -> None:
    # The base layer resolves identities and addresses through this.
    install(app, TenantsDirectory())
