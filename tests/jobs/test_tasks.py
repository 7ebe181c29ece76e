"""Tasks a user starts (bulk imports): progress the page polls, row errors when
finished, and a failure that says so where the user looks."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from baton.platform.db import db, get_context, utcnow
from baton.platform.errors import ValidationFailed
from baton.platform.outbox import FAILED, OutboxMessage
from baton.platform.tasks import (
    AtomicProgress,
    BackgroundTask,
    Progress,
    start_task,
    task_job,
)
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.tenants.models import User
from tests.support.world import login

seen_while_running: list[int] = []


@task_job("tests.import_rows", label="Test import", batch=10, max_retries=1)
def _import_rows(session, payload, progress: Progress):
    rows = payload["rows"]
    progress.set_total(len(rows))
    for number, value in enumerate(rows, start=1):
        if number <= progress.done:
            continue
        try:
            if value < 0:
                raise ValidationFailed({"quantity": "must be positive"})
        except ValidationFailed as exc:
            progress.error(number, str(exc))
        progress.advance(session)
        if number == 25:
            # What a polling page would read now, from another connection
            # in the same tenant's context.
            other = db.new_session(get_context(session))
            try:
                task = other.get(BackgroundTask, progress.task.id)
                seen_while_running.append(task.done)
            finally:
                other.close()
    return {"imported": sum(1 for v in rows if v >= 0)}


@task_job("tests.import_broken", label="Broken import", max_retries=1)
def _import_broken(session, payload, progress: Progress):
    progress.set_total(10)
    progress.advance(session, 4)
    progress.checkpoint(session)  # 4 rows committed; the rest fails
    progress.advance(session, 3)
    raise RuntimeError("the file is not a CSV: line 1 has 1 column")


seen_out_of_band: list[tuple[int, int, str | None, int]] = []


_FLAKY_RUNS: list[int] = []


@task_job("tests.import_flaky", label="Flaky import", max_retries=1)
def _import_flaky(session, payload, progress: Progress):
    """Crashes on its first run only, like a job that met a passing outage."""
    _FLAKY_RUNS.append(1)
    if len(_FLAKY_RUNS) == 1:
        raise RuntimeError("the document store timed out")
    progress.set_total(3)
    progress.advance(session, 3)
    return {"imported": 3}


def _work_rows(session, tenant_id) -> int:
    """The rows an atomic body writes (tasks labelled 'work', for want of a table of its own)."""
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(BackgroundTask)
        .where(BackgroundTask.kind == "work", BackgroundTask.tenant_id == tenant_id)
    )


@task_job("tests.import_atomic", label="Atomic import", max_retries=1, atomic=True)
def _import_atomic(session, payload, progress: AtomicProgress):
    rows = payload["rows"]
    task = progress.task
    problems = [{"row": n, "message": "must be positive"} for n, v in enumerate(rows, 1) if v < 0]
    progress.report(0, len(rows), "Checking the file")
    if problems:
        progress.fail(problems)
        return {"phase": "Rejected"}
    for number, _value in enumerate(rows, start=1):
        session.add(
            BackgroundTask(
                id=uuid.uuid4(),
                created_at=utcnow(),
                tenant_id=task.tenant_id,
                kind="work",
                label=f"row {number}",
            )
        )
        session.flush()
        if number % 5 == 0:
            progress.report(number, phase="Writing")
            # What a polling page would read now, from another connection
            # in the same tenant's context.
            other = db.new_session(get_context(session))
            try:
                seen = other.get(BackgroundTask, task.id)
                seen_out_of_band.append(
                    (
                        seen.done,
                        seen.total,
                        seen.result.get("phase"),
                        _work_rows(other, task.tenant_id),
                    )
                )
            finally:
                other.close()
    return {"imported": len(rows)}


def _start(app, world, job, payload, label, **extra):
    """A task started by Acme's sourcing person (who then follows it)."""
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            starter = session.scalars(
                sa.select(User.id).where(User.email == world.email("acme_sourcing"))
            ).one()
            extra.setdefault("created_by_id", starter)
            task = start_task(
                session,
                kind="import",
                label=label,
                job=job,
                payload=payload,
                tenant_id=world.orgs["acme"],
                **extra,
            )
            ids = session.info.pop("outbox_ids")
            session.commit()
        finally:
            session.close()
        from baton.platform.jobs import drain_inline

        drain_inline(ids)
    return task.id


def test_progress_is_visible_while_running_and_errors_once_finished(app, world):
    seen_while_running.clear()
    rows = [1] * 40
    rows[2] = -1
    rows[30] = -5
    task_id = _start(app, world, "tests.import_rows", {"rows": rows}, "Suppliers.csv")

    # Committed at each checkpoint of 10 rows: a poll in the middle saw 20 done.
    assert seen_while_running == [20]

    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    body = client.get(f"/organisation/tasks/{task_id}.json").get_json()
    assert body["status"] == "succeeded" and body["finished"] is True
    assert (body["percent"], body["done"], body["total"]) == (100, 40, 40)
    assert [e["row"] for e in body["errors"]] == [3, 31]
    assert "must be positive" in body["errors"][0]["message"]
    assert body["result"] == {"imported": 38}

    page = client.get(f"/organisation/tasks/{task_id}")
    assert page.status_code == 200
    assert "Suppliers.csv" in page.text and "Row 3: quantity: must be positive" in page.text
    assert 'data-task-url="/organisation/tasks/' in page.text


def test_a_failed_task_says_so_on_its_page_and_on_the_admins_jobs_page(app, world):
    task_id = _start(app, world, "tests.import_broken", {}, "Broken.csv")

    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    body = client.get(f"/organisation/tasks/{task_id}.json").get_json()
    assert body["status"] == "failed" and body["done"] == 4 and body["percent"] == 40
    assert "not a CSV" in body["errors"][-1]["message"]
    page = client.get(f"/organisation/tasks/{task_id}").text
    assert "This task failed and stopped" in page and "not a CSV" in page

    admin = app.test_client()
    login(admin, world.email("acme_admin"))
    jobs_page = admin.get("/organisation/jobs").text
    assert "Broken import" in jobs_page and f"/organisation/tasks/{task_id}" in jobs_page
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            row = session.scalar(
                sa.select(OutboxMessage).where(OutboxMessage.entity_id == str(task_id))
            )
        finally:
            session.close()
    assert row.status == FAILED


def test_an_admin_retry_of_a_crashed_task_runs_it_again_to_success(app, world):
    _FLAKY_RUNS.clear()
    task_id = _start(app, world, "tests.import_flaky", {}, "Flaky.csv")
    client = app.test_client()
    login(client, world.email("acme_admin"))
    assert client.get(f"/organisation/tasks/{task_id}.json").get_json()["status"] == "failed"
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            outbox_id = session.scalar(
                sa.select(OutboxMessage.id).where(OutboxMessage.entity_id == str(task_id))
            )
        finally:
            session.close()
    assert client.post(f"/organisation/jobs/{outbox_id}/retry").status_code == 302
    body = client.get(f"/organisation/tasks/{task_id}.json").get_json()
    assert body["status"] == "succeeded" and body["done"] == 3
    assert len(_FLAKY_RUNS) == 2


def test_another_organisation_cannot_poll_the_task(app, world):
    task_id = _start(app, world, "tests.import_rows", {"rows": [1, 2]}, "Mine.csv")
    for outsider in ("globex_admin", "north_admin"):
        client = app.test_client()
        login(client, world.email(outsider))
        assert client.get(f"/organisation/tasks/{task_id}.json").status_code == 404
        assert client.get(f"/organisation/tasks/{task_id}").status_code == 404


def test_atomic_progress_is_visible_before_the_work_commits(pg_app, pg_world):
    seen_out_of_band.clear()
    task_id = _start(
        pg_app,
        pg_world,
        "tests.import_atomic",
        {"rows": [1] * 10},
        "Atomic.csv",
        result={"phase": "Waiting to start", "rows": 10},
    )

    # Done and phase were committed on their own while the work was not.
    assert seen_out_of_band == [(5, 10, "Writing", 0), (10, 10, "Writing", 0)]
    client = pg_app.test_client()
    login(client, pg_world.email("acme_sourcing"))
    body = client.get(f"/organisation/tasks/{task_id}.json").get_json()
    assert body["status"] == "succeeded" and (body["done"], body["total"]) == (10, 10)
    assert body["result"] == {"phase": "Writing", "rows": 10, "imported": 10}
    with pg_app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            assert _work_rows(session, pg_world.orgs["acme"]) == 10
        finally:
            session.close()


def test_an_atomic_task_that_refuses_its_input_fails_with_the_errors(app, world):
    task_id = _start(app, world, "tests.import_atomic", {"rows": [1, -1, 2, -3]}, "Bad.csv")

    client = app.test_client()
    login(client, world.email("acme_sourcing"))
    body = client.get(f"/organisation/tasks/{task_id}.json").get_json()
    assert body["status"] == "failed" and body["result"] == {"phase": "Rejected"}
    assert [e["row"] for e in body["errors"]] == [2, 4]
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            assert _work_rows(session, world.orgs["acme"]) == 0
            message = session.scalar(
                sa.select(OutboxMessage).where(OutboxMessage.entity_id == str(task_id))
            )
            assert message.status == "done"  # refused input is an outcome, not a crash
        finally:
            session.close()
