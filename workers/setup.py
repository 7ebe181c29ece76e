"""Start-up hook of the workers area."""

from flask import Flask

from baton.platform.jobs import RELAY_HOOK


def init_app(app: Flask) -> None:
    from baton.workers.relay import relay_after_commit

    # With Redis, rows a request committed go to RQ at once rather than
    # waiting for the relay loop's next pass.
    app.extensions[RELAY_HOOK] = relay_after_commit
