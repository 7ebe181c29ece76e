"""Migrations: one line of history, and an upgrade that works on a fresh
SQLite file (PostgreSQL is migrated by the suite's fixtures on every run)."""

from __future__ import annotations

import sqlalchemy as sa

from baton.platform.app import create_app
from baton.platform.db import Base
from baton.platform.migrate import heads, upgrade
from baton.platform.models_registry import load_all_models


def test_exactly_one_alembic_head():
    found = heads()
    assert len(found) == 1, f"migrations have several heads {found}: merge them"


def test_upgrade_builds_every_model_table_on_a_fresh_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    upgrade(url)
    load_all_models()
    engine = sa.create_engine(url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
        with engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    missing = set(Base.metadata.tables) - tables
    assert not missing, f"models without a migration: {sorted(missing)}"
    assert version == heads()[0]


def test_db_upgrade_command_migrates_and_is_safe_to_repeat(tmp_path):
    """`make run` calls it on every start; the release phase of a deploy too."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    app = create_app(
        {
            "instance_path": tmp_path,
            "database_url": url,
            "migration_database_url": url,
            "service_database_url": url,
        }
    )
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["db-upgrade"])
        assert result.exit_code == 0, result.output
        assert "latest migration" in result.output
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM organisations")).scalar() == 0
    finally:
        engine.dispose()
    app.extensions["baton.db"].dispose()
