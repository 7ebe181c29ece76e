"""Imports every model module so metadata is complete (Alembic, tests)."""


def load_all_models() -> None:
    import baton.client_portal.documents.models  # noqa: F401
    import baton.client_portal.requirements.models  # noqa: F401
    import baton.client_portal.suppliers.models  # noqa: F401
    import baton.platform.audit  # noqa: F401
    import baton.platform.outbox  # noqa: F401
    import baton.platform.tasks  # noqa: F401
    import baton.tenants.models  # noqa: F401
