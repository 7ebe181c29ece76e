"""What an RQ worker executes: one outbox row, inside the Flask app.

``baton worker`` builds the app once and keeps its context pushed; a plain
``rq worker`` (or a forked work horse) builds it on first use.
"""

from __future__ import annotations

from functools import lru_cache

from flask import has_app_context


@lru_cache(maxsize=1)
def _app():
    from baton.platform.app import create_app

    return create_app()


def run(outbox_id: str) -> str:
    from baton.platform.jobs import run_outbox_message

    if has_app_context():
        return run_outbox_message(outbox_id)
    with _app().app_context():
        return run_outbox_message(outbox_id)


def fire_schedule(name: str) -> int:
    """RQ cron entry point: emit the rows a schedule is due for now."""
    from baton.workers.cron import fire

    if has_app_context():
        return fire(name)
    with _app().app_context():
        return fire(name)
