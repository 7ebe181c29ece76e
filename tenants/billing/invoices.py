"""The provider's invoices, read from Stripe (Stripe issues them; we keep none)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import stripe
import structlog
from babel.numbers import get_currency_precision
from sqlalchemy.orm import Session

from baton.platform.stripe_client import stripe_client
from baton.tenants.billing import subscriptions

log = structlog.get_logger("baton.billing")
SHOWN = 24


@dataclass(frozen=True)
class Invoice:
    id: str
    number: str | None
    created: datetime
    status: str
    amount_due: Decimal
    currency: str
    pdf_url: str | None
    page_url: str | None


@dataclass(frozen=True)
class Invoices:
    items: list[Invoice]
    problem: str | None = None  # Stripe could not be asked; the page says so


def _amount(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-get_currency_precision(currency.upper()))


def invoices_for(session: Session, provider_id: uuid.UUID) -> Invoices | None:
    """The newest invoices of the provider's Stripe customer; None without Stripe
    (embedded mode) or before the provider has a customer."""
    client = stripe_client()
    if client is None:
        return None
    account = subscriptions.account_of(session, provider_id)
    customer = account.stripe_customer_id if account else None
    if not customer:
        return Invoices([])
    try:
        found = client.v1.invoices.list(params={"customer": customer, "limit": SHOWN})
    except stripe.StripeError as exc:
        log.warning("invoices_unavailable", provider_id=str(provider_id), error=str(exc)[:200])
        return Invoices([], "Stripe could not be reached just now; try again in a minute.")
    return Invoices([_invoice(i.to_dict()) for i in found.data])


def _invoice(i: dict) -> Invoice:
    currency = (i.get("currency") or "eur").upper()
    return Invoice(
        id=i["id"],
        number=i.get("number"),
        created=datetime.fromtimestamp(i.get("created") or 0, UTC),
        status=i.get("status") or "",
        amount_due=_amount(i.get("amount_due") or 0, currency),
        currency=currency,
        pdf_url=i.get("invoice_pdf"),
        page_url=i.get("hosted_invoice_url"),
    )
