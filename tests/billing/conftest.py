"""Billing tests borrow the job tests' own-database and worker-process fixtures
(the month test pushes through real ``baton worker`` processes)."""

from tests.jobs.conftest import jobs_template, jobs_urls, processes  # noqa: F401
