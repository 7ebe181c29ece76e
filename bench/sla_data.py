"""SLA history for bench/sla_rollup.py: clients' requirements, their orders, order
lines, receipts and the audit events of every status change over 24 months, loaded
with COPY as the superuser (a bulk load by the operator bypasses row-level security).

Each requirement becomes one order of ``lines`` lines. Its history is what the
workflow writes: submitted, in review, accepted, ordered for the requirement;
approved (on submission), released, acknowledged (most), received for the
order; a receipt per line (most on time, some late, some short). Events carry
their status change in ``changes`` as the machine writes it, in each tenant's
sequence order. Hashes are not chained (nothing here verifies them).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg

REQ_COLUMNS = (
    "id, tenant_id, provider_id, client_reference, title, engagement_id, supplier_id, currency,"
    " priority, status, submitted_at, assigned_buyer_id, ready, created_at, updated_at"
)
PO_COLUMNS = (
    "id, tenant_id, provider_id, number, engagement_id, supplier_id, currency, status,"
    " revision, version, total, required_approvals, approval_round, submitted_at, approved_at,"
    " released_at, acknowledged_at, buyer_id, created_at, updated_at"
)
LINE_COLUMNS = (
    "id, tenant_id, provider_id, po_id, line_no, requirement_id, requirement_line_id,"
    " snapshot_id, description, quantity, unit, unit_price, schedule, specs, promised_date,"
    " received_quantity, rejected_quantity, spec_outdated, created_at"
)
RECEIPT_COLUMNS = (
    "id, tenant_id, provider_id, po_id, line_no, quantity_received, quantity_rejected,"
    " received_on, created_at"
)
AUDIT_COLUMNS = (
    "id, seq, created_at, actor_kind, actor_label, action, entity_type, entity_id, changes,"
    " prev_hash, hash, tenant_id, provider_id"
)
HASH = "0" * 64


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(hours=rng.uniform(low, high))


class History:
    """One client's rows and events, written with COPY by ``Loader``."""

    def __init__(self) -> None:
        self.requirements: list[tuple] = []
        self.orders: list[tuple] = []
        self.lines: list[tuple] = []
        self.receipts: list[tuple] = []
        self.events: list[tuple] = []  # (at, entity_type, entity_id, action, before, after)


def client_history(
    rng: random.Random,
    client: uuid.UUID,
    engagement: uuid.UUID,
    provider: uuid.UUID,
    suppliers: list[uuid.UUID],
    buyers: list[uuid.UUID],
    count: int,
    lines: int,
    start: datetime,
    end: datetime,
    code: str,
    first_number: int = 1,
) -> History:
    h = History()
    span = (end - start).total_seconds()
    for n in range(count):
        handed = start + timedelta(seconds=rng.uniform(0, span))
        rid, po_id = uuid.uuid4(), uuid.uuid4()
        supplier, buyer = rng.choice(suppliers), rng.choice(buyers)
        review = handed + _hours(rng, 0.2, 12)
        accepted = review + _hours(rng, 0.2, 16)
        released = accepted + _hours(rng, 0.5, 30)
        acked = released + _hours(rng, 1, 90) if rng.random() < 0.93 else None
        promised = (released + timedelta(days=rng.randint(7, 40))).date()
        late = rng.choice([0] * 8 + [1, 2, 5, -1, -2])
        received_on = promised + timedelta(days=late)
        received_at = datetime(received_on.year, received_on.month, received_on.day, 10, tzinfo=UTC)
        done = received_at <= end
        short = rng.random() < 0.04
        h.requirements.append(
            (rid, client, provider, f"{code}-R{first_number + n:07d}", f"Bench requirement {n}",
             engagement, supplier, "EUR", "normal", "ordered", handed, buyer, True, handed, released)
        )  # fmt: skip
        status = "received" if done and not short else ("acknowledged" if acked else "released")
        h.orders.append(
            (po_id, client, provider, f"{code}-{first_number + n:06d}", engagement, supplier,
             "EUR", status, 0, 1, Decimal("962.50") * lines, 0, 0, accepted, accepted, released,
             acked, buyer, accepted, released)
        )  # fmt: skip
        for line_no in range(1, lines + 1):
            qty = Decimal(250)
            got = qty - (Decimal(10) if short and line_no == 1 else 0)
            h.lines.append(
                (uuid.uuid4(), client, provider, po_id, line_no, rid, uuid.uuid4(), uuid.uuid4(),
                 f"Bracket {line_no}", qty, "each", Decimal("3.85"),
                 json.dumps([{"date": promised.isoformat(), "quantity": "250"}]), "[]", promised,
                 got if done else 0, 0, False, accepted)
            )  # fmt: skip
            if done:
                h.receipts.append(
                    (uuid.uuid4(), client, provider, po_id, line_no, got, 0, received_on,
                     received_at)
                )  # fmt: skip
        for at, before, after in (
            (handed, "draft", "submitted"),
            (review, "submitted", "in_review"),
            (accepted, "in_review", "accepted"),
            (released, "accepted", "ordered"),
        ):
            h.events.append((at, "requirement", rid, f"requirement.{after}", before, after))
        steps = [(accepted, "draft", "approved"), (released, "approved", "released")]
        last = "released"
        if acked is not None and (not done or acked < received_at):
            steps.append((acked, "released", "acknowledged"))
            last = "acknowledged"
        if done:
            steps.append((received_at, last, "partially_received" if short else "received"))
        for at, before, after in steps:
            h.events.append((at, "purchase_order", po_id, f"purchase_order.{after}", before, after))
    return h


def write(admin_url: str, provider: uuid.UUID, histories: dict[uuid.UUID, History]) -> int:
    """COPY every client's rows; events get each tenant's next sequence numbers."""
    with psycopg.connect(admin_url) as conn:
        heads = dict(conn.execute("SELECT tenant_id, seq FROM audit_chain_heads").fetchall())
        with conn.cursor() as cur:
            for table, columns, attr in (
                ("requirements", REQ_COLUMNS, "requirements"),
                ("purchase_orders", PO_COLUMNS, "orders"),
                ("po_lines", LINE_COLUMNS, "lines"),
                ("po_receipts", RECEIPT_COLUMNS, "receipts"),
            ):
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for h in histories.values():
                        for row in getattr(h, attr):
                            copy.write_row(row)
            written = 0
            new_heads: dict[uuid.UUID, int] = defaultdict(int)
            with cur.copy(f"COPY audit_events ({AUDIT_COLUMNS}) FROM STDIN") as copy:
                for client, h in histories.items():
                    seq = heads.get(client, 0)
                    for at, entity_type, entity_id, action, before, after in sorted(
                        h.events, key=lambda e: e[0]
                    ):
                        seq += 1
                        copy.write_row(
                            (uuid.uuid4(), seq, at, "user", "bench", action, entity_type,
                             str(entity_id), json.dumps({"status": [before, after]}), HASH, HASH,
                             client, provider)
                        )  # fmt: skip
                        written += 1
                    new_heads[client] = seq
            for client, seq in new_heads.items():
                cur.execute(
                    "INSERT INTO audit_chain_heads (tenant_id, seq, hash) VALUES (%s, %s, %s)"
                    " ON CONFLICT (tenant_id) DO UPDATE SET seq = EXCLUDED.seq",
                    (client, seq, HASH),
                )
        conn.commit()
    return written


def load_suppliers(admin_url: str, clients: list[uuid.UUID], per_client: int) -> dict:
    now = datetime.now(UTC)
    found: dict[uuid.UUID, list[uuid.UUID]] = {}
    columns = (
        "id, tenant_id, name, code, currency, categories, qualification_status, contact_email,"
        " created_at, updated_at"
    )
    with psycopg.connect(admin_url) as conn:
        with conn.cursor() as cur, cur.copy(f"COPY suppliers ({columns}) FROM STDIN") as copy:
            for k, client in enumerate(clients):
                found[client] = []
                for n in range(per_client):
                    supplier = uuid.uuid4()
                    found[client].append(supplier)
                    copy.write_row(
                        (supplier, client, f"Supplier {k}-{n}", f"S{k:03d}{n}", "EUR", "[]",
                         "qualified", f"orders{k}.{n}@supplier.example", now, now)
                    )  # fmt: skip
        conn.commit()
    return found


def load_history(
    admin_url: str, directory: dict, order_lines: int, lines_each: int, months: int, seed: int = 10
) -> dict:
    """``order_lines`` PO lines over the last ``months`` months; returns counts and seconds."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    start = now - timedelta(days=30.4 * months)
    clients, engagements = directory["clients"], directory["engagements"]
    suppliers = load_suppliers(admin_url, clients, 3)
    per_client = order_lines // lines_each // len(clients)
    started = time.perf_counter()
    events = 0
    # A few clients at a time keep memory small; COPY streams each batch.
    for first in range(0, len(clients), 20):
        batch = {}
        for k in range(first, min(first + 20, len(clients))):
            batch[clients[k]] = client_history(
                rng, clients[k], engagements[k], directory["provider_id"], suppliers[clients[k]],
                directory["buyers"], per_client, lines_each, start, now - timedelta(days=1),
                f"C{k:03d}",
            )  # fmt: skip
        events += write(admin_url, directory["provider_id"], batch)
    seconds = time.perf_counter() - started
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return {
        "orders": per_client * len(clients),
        "lines": per_client * len(clients) * lines_each,
        "events": events,
        "seconds": seconds,
        "suppliers": suppliers,
        "per_client": per_client,
    }


def load_day(admin_url: str, directory: dict, loaded: dict, lines_each: int, months: int) -> dict:
    """One more day of work for every client (the 24 months' daily share), plus
    a receipt entered today for a line promised last month (a late event)."""
    rng = random.Random(11)
    now = datetime.now(UTC)
    per_day = max(1, round(loaded["per_client"] / (30.4 * months)))
    clients, engagements = directory["clients"], directory["engagements"]
    batch = {}
    for k, client in enumerate(clients):
        batch[client] = client_history(
            rng, client, engagements[k], directory["provider_id"], loaded["suppliers"][client],
            directory["buyers"], per_day, lines_each, now - timedelta(days=1), now,
            f"C{k:03d}", first_number=loaded["per_client"] + 1,
        )  # fmt: skip
    events = write(admin_url, directory["provider_id"], batch)
    return {"orders": per_day * len(clients), "events": events}
