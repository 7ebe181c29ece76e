"""Imports every module that declares jobs, so a worker knows them all."""

import baton.tenants.jobs  # noqa: F401
