"""Imports every model module so metadata is complete (Alembic, tests)."""

from baton.platform.areas import load_models


def load_all_models() -> None:
    load_models()
