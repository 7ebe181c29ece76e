"""A task's page follows its progress without a reload, then shows how it ended."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from baton.platform.db import db, utcnow
from baton.platform.tasks import RUNNING, SUCCEEDED, BackgroundTask
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.tenants.models import User
from tests.browser.test_login_browser import sign_in

pytestmark = pytest.mark.browser


def _update(app, task_id, **values) -> None:
    with app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            task = session.get(BackgroundTask, task_id)
            for name, value in values.items():
                setattr(task, name, value)
            session.commit()
        finally:
            session.close()


def test_the_progress_bar_moves_and_the_row_errors_appear_when_finished(
    page, live_server, browser_app, browser_world
):
    world = browser_world
    task_id = uuid.uuid4()
    with browser_app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        starter = session.scalars(
            sa.select(User.id).where(User.email == world.email("acme_sourcing"))
        ).one()
        session.add(
            BackgroundTask(
                id=task_id,
                tenant_id=world.orgs["acme"],
                created_by_id=starter,
                kind="import",
                label="Suppliers.csv",
                status=RUNNING,
                total=200,
                done=20,
                errors=[],
                result={},
                started_at=utcnow(),
            )
        )
        session.commit()
        session.close()

    sign_in(page, live_server, world.email("acme_sourcing"))
    page.goto(f"{live_server}/organisation/tasks/{task_id}")
    card = page.get_by_test_id("task-progress")
    expect(card).to_contain_text("20 of 200 rows done")
    expect(card.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "10")

    _update(browser_app, task_id, done=150)
    expect(card).to_contain_text("150 of 200 rows done")
    expect(card.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "75")

    _update(
        browser_app,
        task_id,
        done=200,
        status=SUCCEEDED,
        finished_at=utcnow(),
        errors=[{"row": 17, "message": "currency: XYZ is not a currency"}],
    )
    expect(card).to_contain_text("Finished")
    expect(page.get_by_test_id("task-errors")).to_contain_text(
        "Row 17: currency: XYZ is not a currency"
    )
    expect(card.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
