"""A client's approval policy: how many of its approvers an order needs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from baton.platform import audit
from baton.platform.errors import ValidationFailed
from baton.procurement.orders.fields import decimal_value, parse_decimal_field
from baton.procurement.orders.models import ApprovalPolicy
from baton.sourcing.suppliers.currencies import currency_problem

FIELDS = (
    "currency",
    "one_approver_above",
    "two_approvers_above",
    "change_tolerance_percent",
    "receipt_tolerance_percent",
    "otif_threshold_percent",
)


@dataclass(frozen=True)
class Policy:
    currency: str
    one_approver_above: Decimal
    two_approvers_above: Decimal | None
    change_tolerance_percent: Decimal
    receipt_tolerance_percent: Decimal
    stored: bool
    # Suppliers on time in full less often than this over 3 months are flagged.
    otif_threshold_percent: Decimal = Decimal(90)

    def approvals_for(self, total: Decimal) -> int:
        """Approvers an order of ``total`` needs: 0 at or below the first threshold."""
        if self.two_approvers_above is not None and total > self.two_approvers_above:
            return 2
        return 1 if total > self.one_approver_above else 0

    def near_threshold(self, total: Decimal) -> Decimal | None:
        """The threshold ``total`` sits just under (within 10 %), if any."""
        for limit in (self.one_approver_above, self.two_approvers_above):
            if limit is not None and limit * Decimal("0.9") <= total <= limit:
                return limit
        return None


# Until a client sets its own: every order above 5,000 needs one approver, above 50,000 two.
DEFAULT = {
    "one_approver_above": Decimal("5000"),
    "two_approvers_above": Decimal("50000"),
    "change_tolerance_percent": Decimal("5"),
    "receipt_tolerance_percent": Decimal("0"),
    "otif_threshold_percent": Decimal("90"),
}


def _row(session: Session, tenant_id: uuid.UUID) -> ApprovalPolicy | None:
    return session.scalar(sa.select(ApprovalPolicy).where(ApprovalPolicy.tenant_id == tenant_id))


def policy_for(session: Session, tenant_id: uuid.UUID, currency: str = "EUR") -> Policy:
    row = _row(session, tenant_id)
    if row is None:
        return Policy(currency=currency, stored=False, **DEFAULT)
    return Policy(
        currency=row.currency,
        one_approver_above=row.one_approver_above,
        two_approvers_above=row.two_approvers_above,
        change_tolerance_percent=row.change_tolerance_percent,
        receipt_tolerance_percent=row.receipt_tolerance_percent,
        otif_threshold_percent=row.otif_threshold_percent,
        stored=True,
    )


def update_policy(session: Session, tenant_id: uuid.UUID, data: dict) -> Policy:
    """Checks every field before it writes; an unchanged save records nothing."""
    errors: dict[str, str] = {}
    values: dict = {}
    currency = (str(data.get("currency") or "")).strip().upper()[:8]
    problem = currency_problem(currency)
    if problem:
        errors["currency"] = problem
    values["currency"] = currency
    for name, required, top in (
        ("one_approver_above", True, Decimal("1e12")),
        ("two_approvers_above", False, Decimal("1e12")),
        ("change_tolerance_percent", True, Decimal("100")),
        ("receipt_tolerance_percent", True, Decimal("100")),
    ):
        try:
            values[name] = parse_decimal_field(data.get(name), required=required, maximum=top)
        except ValueError as exc:
            errors[name] = str(exc)
    # Callers that predate the threshold (and the approval rules alone) leave it as it is.
    if "otif_threshold_percent" in data:
        try:
            values["otif_threshold_percent"] = decimal_value(
                data.get("otif_threshold_percent"), maximum=Decimal(100), places=1
            )
        except ValueError as exc:
            errors["otif_threshold_percent"] = str(exc)
    two, one = values.get("two_approvers_above"), values.get("one_approver_above")
    if not errors and two is not None and two <= one:
        errors["two_approvers_above"] = "The second threshold must be above the first."
    if errors:
        raise ValidationFailed(errors)
    row = _row(session, tenant_id)
    before = audit.snapshot(row, FIELDS) if row is not None else {}
    if row is None:
        values.setdefault("otif_threshold_percent", DEFAULT["otif_threshold_percent"])
        row = ApprovalPolicy(id=uuid.uuid4(), tenant_id=tenant_id, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()
    changes = audit.diff(before, audit.snapshot(row, FIELDS))
    if changes:
        audit.record(
            session,
            tenant_id=tenant_id,
            action="approval_policy.updated",
            entity_type="approval_policy",
            entity_id=row.id,
            changes=changes,
        )
    return policy_for(session, tenant_id)
