"""Imports every module that declares jobs, so a worker knows them all."""

import baton.client_portal.requirements.jobs  # noqa: F401
import baton.platform.audit_jobs  # noqa: F401
import baton.platform.job_failures  # noqa: F401
import baton.platform.notify  # noqa: F401
import baton.tenants.jobs  # noqa: F401
