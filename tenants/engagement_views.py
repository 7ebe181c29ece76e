"""An engagement's page: its business calendar and supplier-chaser settings.

Both sides read it; the provider's admin edits it (``engagement.manage``).
"""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for

from baton.platform.auth import identity, require
from baton.platform.errors import ServiceError, ValidationFailed
from baton.platform.pages import refused
from baton.platform.web import dbs, refuse
from baton.tenants import calendars
from baton.tenants import engagement_settings as settings

bp = Blueprint(
    "engagements", __name__, template_folder="templates", url_prefix="/organisation/engagements"
)


def _page(engagement, *, form: dict | None = None, errors: dict | None = None, status=200):
    ident = identity()
    calendar = settings.calendar_of(engagement)
    may_edit = (
        ident.kind == "provider"
        and ident.can("engagement.manage")
        and engagement.status == "active"
    )
    return render_template(
        "tenants/engagement.html",
        engagement=engagement,
        calendar=calendar,
        values=form if form is not None else settings.form_values(engagement),
        errors=errors or {},
        may_edit=may_edit,
        weekdays=calendars.WEEKDAYS,
        countries=settings.supported_countries(),
        first_chase=settings.first_chase_after(engagement),
    ), status


@bp.get("/<uuid:engagement_id>")
@require()
def show(engagement_id: uuid.UUID):
    return _page(settings.engagement_for(dbs(), identity().organisation, engagement_id))


@bp.post("/<uuid:engagement_id>")
@require(kind="provider", permission="engagement.manage")
def save(engagement_id: uuid.UUID):
    org = identity().organisation
    data = {name: request.form.get(name, "") for name in settings.SETTINGS_FIELDS}
    data["working_days"] = request.form.getlist("working_days")
    try:
        settings.update_settings(dbs(), org, engagement_id, data)
    except ValidationFailed as exc:
        refuse()
        engagement = settings.engagement_for(dbs(), org, engagement_id)
        form = dict(data, chase_late_lines=data["chase_late_lines"] not in ("", "0"))
        return _page(engagement, form=form, errors=exc.errors, status=422)
    except ServiceError as exc:
        return refused(exc, url_for(".show", engagement_id=engagement_id))
    flash("Engagement settings saved.", "success")
    return redirect(url_for(".show", engagement_id=engagement_id))
