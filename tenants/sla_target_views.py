"""An engagement's SLA targets page: the provider's admin edits, the client reads.

``/organisation/engagements/<id>/sla``, beside the calendar page: the same
engagement lookup (the other side's or a foreign id is not found), the rules
in ``sla_targets``.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for

from baton.platform.auth import identity, require
from baton.platform.errors import ServiceError, ValidationFailed
from baton.platform.pages import refused
from baton.platform.web import dbs, refuse
from baton.tenants import calendars, sla_targets
from baton.tenants.engagement_settings import calendar_of, engagement_for

bp = Blueprint(
    "engagement_sla",
    __name__,
    template_folder="templates",
    url_prefix="/organisation/engagements",
)


def _fields() -> list[str]:
    names = []
    for metric, kind in sla_targets.KINDS.items():
        names.append(f"{metric}_percent")
        if kind.default_hours is not None:
            names.append(f"{metric}_hours")
        names.append(f"{metric}_credit")
    return [*names, "monthly_fee", "fee_currency", "credit_cap_percent"]


def _page(engagement, *, form: dict | None = None, errors: dict | None = None, status=200):
    ident = identity()
    may_edit = (
        ident.kind == "provider"
        and ident.can("engagement.manage")
        and engagement.status == "active"
    )
    return render_template(
        "tenants/engagement_sla.html",
        engagement=engagement,
        calendar=calendar_of(engagement),
        targets=sla_targets.targets_of(engagement),
        kinds=sla_targets.KINDS,
        values=form if form is not None else sla_targets.form_values(engagement),
        errors=errors or {},
        may_edit=may_edit,
        describe=calendars.describe,
        plain=_plain,
    ), status


def _plain(value) -> str:
    return format(Decimal(value).normalize(), "f")


@bp.get("/<uuid:engagement_id>/sla")
@require()
def show(engagement_id: uuid.UUID):
    return _page(engagement_for(dbs(), identity().organisation, engagement_id))


@bp.post("/<uuid:engagement_id>/sla")
@require(kind="provider", permission="engagement.manage")
def save(engagement_id: uuid.UUID):
    org = identity().organisation
    data = {name: request.form.get(name, "") for name in _fields()}
    try:
        sla_targets.update_targets(dbs(), org, engagement_id, data)
    except ValidationFailed as exc:
        refuse()
        engagement = engagement_for(dbs(), org, engagement_id)
        return _page(engagement, form=data, errors=exc.errors, status=422)
    except ServiceError as exc:
        return refused(exc, url_for(".show", engagement_id=engagement_id))
    flash("SLA targets saved.", "success")
    return redirect(url_for(".show", engagement_id=engagement_id))
