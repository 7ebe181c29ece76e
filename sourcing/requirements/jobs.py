"""Background work of the handoff: large imports (its emails are declared in
``notifications.py`` and sent by the platform's one notification job)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from baton.platform.tasks import AtomicProgress, task_job


def _import_failed(session: Session, payload: dict, error: str, final: bool) -> None:
    from baton.sourcing.requirements.imports import import_failed

    import_failed(session, payload, error, final)


@task_job(
    "requirements.import",
    queue="low",
    max_retries=1,
    timeout=1800,
    label="Requirement import",
    atomic=True,
    on_failure=_import_failed,
)
def run_import(session: Session, payload: dict, progress: AtomicProgress) -> dict:
    from baton.sourcing.requirements.imports import run_import_job

    return run_import_job(session, payload, progress)
