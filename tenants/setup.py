"""Start-up hooks of the tenants area."""

from flask import Flask

from baton.platform import metering
from baton.platform.directory import install
from baton.tenants.billing.ledger import record
from baton.tenants.directory import TenantsDirectory


def init_app(app: Flask) -> None:
    # The base layer resolves identities and addresses through this.
    install(app, TenantsDirectory())
    # Billable acts are written to the usage ledger in their own transaction.
    metering.install(record)
