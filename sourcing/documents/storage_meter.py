"""Document storage, metered in GB-months once a month.

A provider is billed for the documents its work stored in a client's tenant
(PO PDFs, packing slips, acknowledgements: revisions carrying its
``provider_id``). For a calendar month (UTC) each such revision counts its
size in GB (1 GB = 2^30 bytes, as S3 bills) times the fraction of the month it
was stored: from its upload (or the month's start) to the month's end.
Revisions are immutable and never deleted, so nothing ends earlier. The sum
per client and provider is one usage event at the month's last instant, keyed
``document_storage:<client>:<provider>:<YYYY-MM>``: a re-run records nothing
new. Documents the client uploaded itself (``provider_id`` NULL:
specifications, drawings) are billed to no provider.

The scan reads every tenant's revisions, so its job is cross-tenant; it runs
on the first of each month for the month before (and ``flask billing
meter-storage --month YYYY-MM`` runs it by hand).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import click
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from baton.platform.db import utcnow
from baton.platform.jobs import job
from baton.platform.schedules import Schedule
from baton.sourcing.documents.models import DocumentRevision
from baton.tenants.billing.ledger import record_quantity

METRIC = "document_storage_gb_month"
JOB = "sourcing.meter_storage"
GB = Decimal(2**30)
_PLACES = Decimal("0.000001")

SCHEDULES = (
    Schedule(
        name="document-storage-meter",
        job=JOB,
        cron="20 0 1 * *",
        description="On the first of each month at 00:20 UTC, meter last month's document"
        " storage in GB-months per client and provider.",
    ),
)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following


def gb_months(session: Session, month: date) -> dict[tuple[uuid.UUID, uuid.UUID], Decimal]:
    """{(client, provider): GB-months} for the month, to six places."""
    start, end = month_bounds(month)
    length = Decimal((end - start).total_seconds())
    rows = session.execute(
        sa.select(
            DocumentRevision.tenant_id,
            DocumentRevision.provider_id,
            DocumentRevision.size,
            DocumentRevision.created_at,
        ).where(DocumentRevision.provider_id.is_not(None), DocumentRevision.created_at < end)
    )
    totals: dict[tuple[uuid.UUID, uuid.UUID], Decimal] = {}
    for tenant_id, provider_id, size, created_at in rows:
        stored = Decimal((end - max(created_at, start)).total_seconds())
        pair = (tenant_id, provider_id)
        totals[pair] = totals.get(pair, Decimal(0)) + Decimal(size) / GB * stored / length
    return {
        pair: value.quantize(_PLACES, rounding=ROUND_HALF_UP)
        for pair, value in totals.items()
        if value.quantize(_PLACES, rounding=ROUND_HALF_UP) > 0
    }


def meter_month(session: Session, month: date) -> int:
    """Record the month's storage for every client and provider; returns how many pairs."""
    start, end = month_bounds(month)
    found = gb_months(session, month)
    for (tenant_id, provider_id), quantity in sorted(found.items(), key=str):
        record_quantity(
            session,
            metric=METRIC,
            key=f"document_storage:{tenant_id}:{provider_id}:{start:%Y-%m}",
            quantity=quantity,
            tenant_id=tenant_id,
            provider_id=provider_id,
            occurred_at=end - timedelta(microseconds=1),
            entity_type="organisation",
            entity_id=str(tenant_id),
        )
    return len(found)


def previous_month(now: datetime) -> date:
    return (now.astimezone(UTC).replace(day=1) - timedelta(days=1)).replace(day=1).date()


@job(JOB, queue="low", label="Meter document storage", cross_tenant=True, timeout=1800)
def meter_storage(session: Session, payload: dict) -> None:
    slot = payload.get("slot")
    now = datetime.fromisoformat(slot) if slot else utcnow()
    meter_month(
        session, date.fromisoformat(payload["month"]) if "month" in payload else previous_month(now)
    )


def register_cli(app: Flask) -> None:
    from baton.tenants.billing.cli import group

    @group(app).command("meter-storage")
    @click.option("--month", help="The month to meter, YYYY-MM (default: last month).")
    def meter_storage_command(month: str | None) -> None:
        """Meter a month's document storage in GB-months (what the monthly job does)."""
        from baton.platform.cli import _run

        try:
            chosen = date.fromisoformat(f"{month}-01") if month else previous_month(utcnow())
        except ValueError as exc:
            raise click.BadParameter("use YYYY-MM", param_hint="--month") from exc
        pairs = _run(lambda s: meter_month(s, chosen))
        click.echo(f"{chosen:%Y-%m}: storage metered for {pairs} client and provider pairs.")
