"""The background runtime: worker, relay and schedule commands, and the relay
that hands a request's committed outbox rows to RQ."""

from baton.platform.areas import Area

AREA = Area(
    name="workers",
    init_app="baton.workers.setup:init_app",
    cli="baton.workers.cli:register_worker_cli",
)
