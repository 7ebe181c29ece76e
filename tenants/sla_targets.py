"""An engagement's service-level targets: what is promised, by whom, and what a miss costs.

Five targets, each measured on the engagement's business calendar
(``calendars.py``) and defined exactly in docs/sla.md:

* ``handoff_to_release``: requirements released as purchase orders within N
  business hours of the handoff (the provider's promise; client time stops it).
* ``acknowledgement``: purchase orders acknowledged within N business hours of
  release (the supplier's time; the provider chases).
* ``otif``: order lines received in full by their promised date.
* ``client_answer``: returned requirements answered by the client within N
  business hours (the client's own target).
* ``issue_answer``: order issues answered within N business hours.

The two hour figures the queue and the chasers already read keep living in
their engagement columns (``sla_handoff_to_release_hours``,
``sla_release_to_ack_hours``); the rest rides in ``engagements.sla_targets``
as JSON, like the calendar's days off (engagements are a directory table,
docs/decisions/0002). The provider's admin edits them; the client reads them.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from baton.platform.errors import ValidationFailed
from baton.tenants.engagement_settings import edit_engagement
from baton.tenants.models import Engagement, Organisation

PROVIDER, CLIENT, SUPPLIER = "provider", "client", "supplier"


@dataclass(frozen=True)
class TargetKind:
    metric: str
    label: str
    # Whose promise it is: the party whose time the compliance counts.
    owner: str
    default_percent: Decimal
    default_hours: Decimal | None
    # The engagement column holding the hours, where one already existed.
    hours_column: str | None = None
    # Percent is a floor ("at least 95 % within"): every target here is.
    describe: str = ""


KINDS: dict[str, TargetKind] = {
    k.metric: k
    for k in (
        TargetKind(
            "handoff_to_release",
            "Requirements released as POs",
            PROVIDER,
            Decimal("95"),
            Decimal("16"),
            "sla_handoff_to_release_hours",
            "of requirements released as purchase orders within {hours} of handoff",
        ),
        TargetKind(
            "acknowledgement",
            "POs acknowledged",
            SUPPLIER,
            Decimal("90"),
            Decimal("48"),
            "sla_release_to_ack_hours",
            "of purchase orders acknowledged within {hours} of release",
        ),
        TargetKind(
            "otif",
            "On time in full (OTIF)",
            SUPPLIER,
            Decimal("92"),
            None,
            None,
            "of order lines received in full by their promised date",
        ),
        TargetKind(
            "client_answer",
            "Returned requirements answered",
            CLIENT,
            Decimal("90"),
            Decimal("8"),
            None,
            "of returned requirements answered by the client within {hours}",
        ),
        TargetKind(
            "issue_answer",
            "Order issues answered",
            PROVIDER,
            Decimal("90"),
            Decimal("8"),
            None,
            "of order issues answered within {hours}",
        ),
    )
}
MAX_HOURS = Decimal("2000")
MAX_FEE = Decimal("100000000")


@dataclass(frozen=True)
class Target:
    metric: str
    label: str
    owner: str
    percent: Decimal
    within_hours: Decimal | None
    # Percentage of the month's fee credited when the target is missed.
    credit_percent: Decimal

    @property
    def kind(self) -> TargetKind:
        return KINDS[self.metric]


def targets_of(engagement: Engagement) -> dict[str, Target]:
    """Every target of ``engagement``, defaults filled in, in the order of ``KINDS``."""
    stored = engagement.sla_targets or {}
    found = {}
    for metric, kind in KINDS.items():
        row = stored.get(metric) or {}
        hours = kind.default_hours
        if kind.hours_column is not None:
            hours = Decimal(getattr(engagement, kind.hours_column) or kind.default_hours)
        elif row.get("within_hours") is not None:
            hours = Decimal(str(row["within_hours"]))
        found[metric] = Target(
            metric=metric,
            label=kind.label,
            owner=kind.owner,
            percent=Decimal(str(row.get("percent", kind.default_percent))),
            within_hours=hours,
            credit_percent=Decimal(str(row.get("credit_percent", "0"))),
        )
    return found


def _text(raw: Any, limit: int = 40) -> str:
    return unicodedata.normalize("NFKC", str(raw if raw is not None else "")).strip()[:limit]


def _decimal(raw: Any, *, low: Decimal, high: Decimal, places: str, empty: Any) -> Any:
    text = _text(raw).replace(",", ".").rstrip("%").strip()
    if not text:
        return empty
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("Give a number, e.g. 95 or 7.5.") from None
    if not value.is_finite() or value < low or value > high:
        raise ValueError(f"Give a number from {low} to {high}.")
    if value != value.quantize(Decimal(places)):
        raise ValueError(f"Use at most {len(places.split('.')[1])} decimals.")
    return value.quantize(Decimal(places))


_REQUIRED = object()


def parse(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Form or JSON fields ``<metric>_percent``, ``<metric>_hours``,
    ``<metric>_credit``, ``monthly_fee``, ``fee_currency``, ``credit_cap_percent``."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def field(name: str, **kw: Any) -> None:
        try:
            value = _decimal(data.get(name), **kw)
        except ValueError as exc:
            errors[name] = str(exc)
            return
        if value is _REQUIRED:
            errors[name] = "Required."
            return
        values[name] = value

    for metric, kind in KINDS.items():
        field(f"{metric}_percent", low=Decimal(0), high=Decimal(100), places="0.1", empty=_REQUIRED)
        if kind.default_hours is not None:
            field(
                f"{metric}_hours",
                low=Decimal("0.25"),
                high=MAX_HOURS,
                places="0.01",
                empty=_REQUIRED,
            )
        field(
            f"{metric}_credit", low=Decimal(0), high=Decimal(100), places="0.01", empty=Decimal(0)
        )
    field("monthly_fee", low=Decimal(0), high=MAX_FEE, places="0.01", empty=None)
    field("credit_cap_percent", low=Decimal(0), high=Decimal(100), places="0.01", empty=None)
    currency = _text(data.get("fee_currency"), 3).upper()
    if currency and (len(currency) != 3 or not currency.isalpha()):
        errors["fee_currency"] = "Give a three-letter ISO currency such as EUR."
    values["fee_currency"] = currency or None
    if values.get("monthly_fee") is not None and not currency and "fee_currency" not in errors:
        errors["fee_currency"] = "Give the fee's currency."
    return values, errors


def _plain(engagement: Engagement) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for metric, target in targets_of(engagement).items():
        found[f"{metric}_percent"] = str(target.percent.normalize())
        if target.within_hours is not None:
            found[f"{metric}_hours"] = str(target.within_hours.normalize())
        found[f"{metric}_credit"] = str(target.credit_percent.normalize())
    for name in ("monthly_fee", "credit_cap_percent"):
        value = getattr(engagement, name)
        found[name] = str(Decimal(value).normalize()) if value is not None else None
    found["fee_currency"] = engagement.fee_currency
    return found


def update_targets(
    session: Session, provider: Organisation, engagement_id: uuid.UUID, data: Mapping[str, Any]
) -> Engagement:
    """Save the targets, credits and fee of one of ``provider``'s engagements."""
    values, errors = parse(data)

    def apply(engagement: Engagement) -> None:
        if errors:
            raise ValidationFailed(errors)
        stored: dict[str, dict[str, str]] = {}
        for metric, kind in KINDS.items():
            row = {
                "percent": str(values[f"{metric}_percent"]),
                "credit_percent": str(values[f"{metric}_credit"]),
            }
            hours = values.get(f"{metric}_hours")
            if kind.hours_column is not None:
                setattr(engagement, kind.hours_column, hours)
            elif hours is not None:
                row["within_hours"] = str(hours)
            stored[metric] = row
        engagement.sla_targets = stored
        engagement.monthly_fee = values["monthly_fee"]
        engagement.fee_currency = values["fee_currency"]
        engagement.credit_cap_percent = values["credit_cap_percent"]

    return edit_engagement(
        session,
        provider,
        engagement_id,
        what="targets",
        action="engagement.sla_targets_changed",
        snapshot=_plain,
        apply=apply,
    )


def form_values(engagement: Engagement) -> dict[str, Any]:
    """The targets as the form shows them (and as ``parse`` reads them back)."""
    found = {k: (v or "") for k, v in _plain(engagement).items()}
    return found
