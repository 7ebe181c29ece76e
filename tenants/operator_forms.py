"""The operator's plan form (Flask-WTF: its CSRF token; the rules are ``plan_terms``)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField

from baton.tenants.billing.ledger import METRICS
from baton.tenants.billing.plan_terms import format_price


class PlanForm(FlaskForm):
    code = StringField("Code")
    name = StringField("Name")
    currency = StringField("Currency")
    base_fee = StringField("Monthly base fee")


for _metric, _label in METRICS.items():
    setattr(PlanForm, f"price_{_metric}", StringField(_label))


def form_data(form: PlanForm) -> dict:
    """What the service takes: the fields as typed, prices by metric."""
    return {
        "code": form.code.data,
        "name": form.name.data,
        "currency": form.currency.data,
        "base_fee": form.base_fee.data,
        "prices": {m: getattr(form, f"price_{m}").data or "" for m in METRICS},
    }


def fill(form: PlanForm, plan) -> None:
    form.code.data = plan.code
    form.name.data = plan.name
    form.currency.data = plan.currency
    form.base_fee.data = format(plan.base_fee.normalize(), "f")
    for metric in METRICS:
        price = (plan.prices or {}).get(metric)
        getattr(form, f"price_{metric}").data = format_price(price) if price else ""


def show_errors(form: PlanForm, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [message]
