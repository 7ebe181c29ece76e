"""Background work as organisation members see it: failed jobs (admins) and
the progress of tasks someone started (imports, exports)."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, jsonify, redirect, render_template, url_for

from baton.platform.auth import identity, require
from baton.platform.errors import Conflict
from baton.platform.forms import EmptyForm
from baton.platform.job_failures import (
    failed_jobs,
    register_entity,
    retry_failed,
    unconfirmed_mail,
)
from baton.platform.pages import refused
from baton.platform.tasks import BackgroundTask, own_task, recent_tasks
from baton.platform.web import dbs

bp = Blueprint("jobs", __name__, url_prefix="/organisation")


def _own_task(task_id: uuid.UUID) -> BackgroundTask:
    ident = identity()
    return own_task(
        dbs(),
        ident.organisation.id,
        ident.kind,
        task_id,
        user_id=ident.user.id if ident.user else None,
        sees_all=ident.can("jobs.manage"),
    )


@bp.get("/jobs")
@require(permission="jobs.manage")
def failed():
    return render_template(
        "jobs/failed.html",
        failures=failed_jobs(dbs(), identity().organisation.id),
        unconfirmed=unconfirmed_mail(dbs(), identity().organisation.id),
        tasks=recent_tasks(dbs(), identity().organisation.id, identity().kind),
        action_form=EmptyForm(),
    )


@bp.post("/jobs/<uuid:outbox_id>/retry")
@require(permission="jobs.manage")
def retry(outbox_id: uuid.UUID):
    if not EmptyForm().validate_on_submit():
        from flask_wtf.csrf import CSRFError

        raise CSRFError("The CSRF token is missing.")
    try:
        row = retry_failed(dbs(), outbox_id, identity().organisation.id)
    except Conflict as exc:
        return refused(exc, url_for("jobs.failed"), "warning")
    flash("The job runs again now; it leaves this list once it has succeeded.", "success")
    return redirect(url_for("jobs.failed", _anchor=f"job-{row.id}"))


@bp.get("/tasks/<uuid:task_id>")
@require()
def task(task_id: uuid.UUID):
    return render_template("jobs/task.html", task=_own_task(task_id))


@bp.get("/tasks/<uuid:task_id>.json")
@require()
def task_json(task_id: uuid.UUID):
    return jsonify(_own_task(task_id).as_json())


register_entity("background_task", "Task", lambda task_id: url_for("jobs.task", task_id=task_id))
register_entity("invitation", "Invitation", lambda _id: url_for("tenants.members"))
