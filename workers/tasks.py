"""What an RQ worker executes: one outbox row, inside the Flask app."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _app():
    from baton.platform.app import create_app

    return create_app()


def run(outbox_id: str) -> str:
    from baton.platform.jobs import run_outbox_message

    with _app().app_context():
        return run_outbox_message(outbox_id)
