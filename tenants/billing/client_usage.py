"""A client's share of each provider's usage: quantities by month and metric.

The client sees what its handoffs caused, not what it costs: the price is the
provider's plan with the platform, a contract the client is not party to
(docs/billing.md). So this read has quantities and event counts only; the
provider's statement allocates the amounts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from baton.tenants.billing.ledger import METRICS
from baton.tenants.billing.statements import bounds, load_names, load_usage

CSV_HEADER = ("Month", "Provider", "Metric", "Quantity", "Events")


@dataclass
class ProviderUsage:
    provider_id: uuid.UUID
    name: str
    quantities: dict[str, Decimal] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)


@dataclass
class ClientUsage:
    client_id: uuid.UUID
    month: date
    providers: list[ProviderUsage]

    def total(self, metric: str) -> Decimal:
        return sum((p.quantities.get(metric, Decimal(0)) for p in self.providers), Decimal(0))

    @property
    def metrics(self) -> list[str]:
        used = {m for p in self.providers for m in p.quantities}
        return [m for m in METRICS if m in used]


def client_usage(session: Session, client_id: uuid.UUID, month: date) -> ClientUsage:
    """Two reads: the month's usage summed in SQL, and the providers' names."""
    start, end = bounds(month)
    rows = load_usage(session, start, end, client_id=client_id)
    names = load_names(session, [r.provider_id for r in rows])
    providers: dict[uuid.UUID, ProviderUsage] = {}
    for row in rows:
        p = providers.setdefault(
            row.provider_id, ProviderUsage(row.provider_id, names.get(row.provider_id, "?"))
        )
        p.quantities[row.metric] = p.quantities.get(row.metric, Decimal(0)) + row.quantity
        p.events[row.metric] = p.events.get(row.metric, 0) + row.events
    ordered = sorted(providers.values(), key=lambda p: p.name.lower())
    return ClientUsage(client_id, month, ordered)


def csv_rows(usage: ClientUsage) -> list[tuple]:
    month = usage.month.strftime("%Y-%m")
    return [
        (month, p.name, METRICS[m], p.quantities[m], p.events[m])
        for p in usage.providers
        for m in METRICS
        if m in p.quantities
    ]
