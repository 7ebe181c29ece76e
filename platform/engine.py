"""Engines, and which statements PostgreSQL prepares on the server."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event

_NEVER_BY_COUNT = 2**62


def make_engine(url: str) -> sa.Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    # No server-side prepared statements: PostgreSQL soon gives a prepared
    # statement a generic plan, and the queue's first page planned generically
    # took 180 ms against 15-20 ms planned for its values (measured 2026-12-02,
    # 200 clients). Planning each statement for its values avoids that
    # everywhere, and also keeps the app usable behind PgBouncer in transaction
    # mode.
    engine = sa.create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        # Never prepared by count, only when asked (``PREPARED``): psycopg's
        # None would refuse even ``prepare=True``.
        connect_args={"prepare_threshold": _NEVER_BY_COUNT},
    )
    event.listen(engine, "do_execute", _execute_prepared_when_asked)
    return engine


# Execution option for the few statements that look one row up by its key on
# every API call (the token, one requirement, one order): those, and only
# those, are prepared on the server, so PostgreSQL plans each once per
# connection instead of on every call. Their plan is the same whatever the
# key (an index lookup), so the generic plan that a prepared statement soon
# gets is no worse than a custom one; list pages stay unprepared (see above).
# Planning the one-requirement read, a four-table join with its row-level
# policies, took 2.8 ms of its 5 ms in PostgreSQL (bench/api_reads.py).
PREPARED = {"baton_prepared": True}


def _execute_prepared_when_asked(cursor, statement, parameters, context) -> bool | None:
    if not context.execution_options.get("baton_prepared"):
        return None  # SQLAlchemy executes it as usual
    cursor.execute(statement, parameters, prepare=True)
    return True
