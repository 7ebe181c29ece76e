"""Plans, defined by a platform operator, and which provider is on which.

A plan is a monthly base fee and, per metric, an included quantity and
graduated tiers (``plan_terms`` reads and checks them, ``pricing`` applies
them). A provider's plan history is a run of ``PlanPeriod`` rows, each with
the terms it ran on: assigning a plan closes the open period at that moment
and opens the next, and editing a plan does the same for every provider on
it, so a month is prorated across the change and a past month never moves.

Plans belong to no organisation: their definitions are audited in the
platform's own chain (``PLATFORM_CHAIN``); an assignment in the provider's.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform import audit
from baton.platform.db import utcnow
from baton.platform.errors import Conflict, NotFound, ValidationFailed
from baton.tenants.billing import accounts
from baton.tenants.billing.models import BillingAccount, Plan, PlanPeriod
from baton.tenants.billing.plan_terms import clean_plan
from baton.tenants.models import Organisation

# The audit chain of acts that are no organisation's: plan definitions.
PLATFORM_CHAIN = uuid.UUID(int=0)
PLAN_FIELDS = ("code", "name", "currency", "base_fee", "prices", "archived_at")


def list_plans(session: Session, *, include_archived: bool = True) -> list[Plan]:
    query = sa.select(Plan).order_by(Plan.archived_at.is_not(None), Plan.code)
    if not include_archived:
        query = query.where(Plan.archived_at.is_(None))
    return list(session.scalars(query))


def get_plan(session: Session, code: str) -> Plan:
    plan = session.scalar(sa.select(Plan).where(Plan.code == (code or "").strip().lower()))
    if plan is None:
        raise NotFound(f"No plan {code!r}.")
    return plan


def _record(session: Session, plan: Plan, action: str, before: dict) -> None:
    audit.record(
        session,
        tenant_id=PLATFORM_CHAIN,
        action=action,
        entity_type="billing_plan",
        entity_id=plan.id,
        changes=audit.diff(before, audit.snapshot(plan, PLAN_FIELDS)),
    )


def create_plan(session: Session, data: dict) -> Plan:
    clean = clean_plan(data, creating=True)
    if session.scalar(sa.select(Plan.id).where(Plan.code == clean["code"])) is not None:
        raise ValidationFailed({"code": f"A plan with the code {clean['code']!r} exists already."})
    plan = Plan(id=uuid.uuid4(), updated_at=utcnow(), **clean)
    session.add(plan)
    session.flush()
    _record(session, plan, "billing_plan.created", {})
    return plan


def update_plan(session: Session, code: str, data: dict, *, at: datetime | None = None) -> Plan:
    """New terms for a plan (its code stays). Providers on it move to the new
    terms from now: their open periods close and new ones open."""
    plan = get_plan(session, code)
    clean = clean_plan(data, creating=False)
    before = audit.snapshot(plan, PLAN_FIELDS)
    if clean["currency"] != plan.currency and _providers_on(session, plan.id):
        raise ValidationFailed(
            {"currency": "Providers are on this plan: make a new plan for another currency."}
        )
    for name, value in clean.items():
        setattr(plan, name, value)
    plan.updated_at = utcnow()
    changes = audit.diff(before, audit.snapshot(plan, PLAN_FIELDS))
    if not changes:
        return plan
    session.flush()
    _record(session, plan, "billing_plan.updated", before)
    when = at or utcnow()
    for period in _open_periods(session, plan.id):
        _switch(session, period.provider_id, plan, when, period)
    return plan


def archive_plan(session: Session, code: str) -> Plan:
    """No longer offered: providers on it stay on it until assigned another."""
    plan = get_plan(session, code)
    if plan.archived_at is None:
        before = audit.snapshot(plan, PLAN_FIELDS)
        plan.archived_at = utcnow()
        session.flush()
        _record(session, plan, "billing_plan.archived", before)
    return plan


def _open_periods(session: Session, plan_id: uuid.UUID) -> list[PlanPeriod]:
    return list(
        session.scalars(
            sa.select(PlanPeriod)
            .where(PlanPeriod.plan_id == plan_id, PlanPeriod.ends_at.is_(None))
            .with_for_update()
        )
    )


def _providers_on(session: Session, plan_id: uuid.UUID) -> bool:
    return bool(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(BillingAccount)
            .where(BillingAccount.plan_id == plan_id)
        )
    )


def current_period(session: Session, provider_id: uuid.UUID) -> PlanPeriod | None:
    return session.scalar(
        sa.select(PlanPeriod)
        .where(PlanPeriod.provider_id == provider_id, PlanPeriod.ends_at.is_(None))
        .order_by(PlanPeriod.starts_at.desc())
        .limit(1)
    )


def _switch(
    session: Session,
    provider_id: uuid.UUID,
    plan: Plan,
    when: datetime,
    open_period: PlanPeriod | None,
) -> PlanPeriod:
    if open_period is not None:
        open_period.ends_at = when
    period = PlanPeriod(
        id=uuid.uuid4(),
        provider_id=provider_id,
        plan_id=plan.id,
        starts_at=when,
        ends_at=None,
        currency=plan.currency,
        base_fee=plan.base_fee,
        prices=plan.prices,
    )
    session.add(period)
    session.flush()
    return period


def assign_plan(
    session: Session, provider_id: uuid.UUID, code: str, *, at: datetime | None = None
) -> BillingAccount:
    """Put the provider on the plan from ``at`` (now): the month is prorated
    between the plans by the second."""
    provider = session.get(Organisation, provider_id)
    if provider is None or provider.kind != "provider":
        raise ValidationFailed({"provider": "Choose a provider organisation."})
    plan = get_plan(session, code)
    if plan.archived_at is not None:
        raise ValidationFailed({"plan": f"The plan {plan.code!r} is archived; choose another."})
    when = at or utcnow()
    account = accounts.account_for(session, provider_id, lock=True)
    open_period = current_period(session, provider_id)
    if open_period is not None:
        if open_period.plan_id == plan.id:
            return account
        if when <= open_period.starts_at:
            raise Conflict("A plan change must come after the current plan's start.")
        if open_period.currency != plan.currency:
            raise ValidationFailed(
                {
                    "plan": f"{provider.name} is billed in {open_period.currency}; choose a plan"
                    f" in {open_period.currency}."
                }
            )
    old_plan = session.get(Plan, account.plan_id) if account.plan_id else None
    _switch(session, provider_id, plan, when, open_period)
    account.plan_id = plan.id
    account.updated_at = utcnow()
    audit.record(
        session,
        tenant_id=provider_id,
        action="billing.plan_assigned",
        entity_type="billing_account",
        entity_id=account.id,
        changes={
            "plan": [old_plan.code if old_plan else None, plan.code],
            "from": [None, audit.jsonable(when)],
        },
    )
    return account
