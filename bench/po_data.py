"""Purchase orders for bench/api_reads.py, loaded with COPY: ``--orders`` of them
spread over the clients of bench/queue_page.py's directory, one supplier per
client, ``--order-lines`` lines each, and one order (the one read) with 5 lines.

The rows are as a buyer leaves them after release (status, numbers, totals,
lines that trace back to a requirement line and a snapshot); the reads do not
follow those ids, so they are random, as the row counts are what matters to
the plans.
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg

STATUSES = ["released"] * 3 + ["acknowledged"] * 3 + ["partially_received", "closed", "draft"]
PO_COLUMNS = (
    "id, tenant_id, provider_id, number, engagement_id, supplier_id, currency, status,"
    " revision, version, total, required_approvals, approval_round, payment_terms, incoterms,"
    " ship_to, submitted_at, released_at, created_at, updated_at"
)
LINE_COLUMNS = (
    "id, tenant_id, provider_id, po_id, line_no, requirement_id, requirement_line_id,"
    " snapshot_id, item_code, description, quantity, unit, unit_price, schedule, specs,"
    " received_quantity, rejected_quantity, spec_outdated, created_at"
)


def load_suppliers(admin_url: str, directory: dict) -> dict[uuid.UUID, uuid.UUID]:
    now = datetime.now(UTC)
    suppliers = {client: uuid.uuid4() for client in directory["clients"]}
    columns = "id, tenant_id, name, code, currency, categories, qualification_status, contact_email, created_at, updated_at"
    with psycopg.connect(admin_url) as conn:
        with conn.cursor() as cur, cur.copy(f"COPY suppliers ({columns}) FROM STDIN") as copy:
            for n, (client, supplier) in enumerate(suppliers.items()):
                copy.write_row(
                    (supplier, client, f"Bench supplier {n}", f"BS{n:04d}", "EUR", "[]",
                     "qualified", f"orders{n}@supplier.example", now, now)
                )  # fmt: skip
        conn.commit()
    return suppliers


def load_orders(admin_url: str, directory: dict, count: int, lines_each: int, target_client):
    """COPY ``count`` orders; returns (the id of target_client's 5-line order, seconds)."""
    rng = random.Random(9)
    now = datetime.now(UTC)
    suppliers = load_suppliers(admin_url, directory)
    clients, engagements = directory["clients"], directory["engagements"]
    provider_id = directory["provider_id"]
    target = None
    started = time.perf_counter()
    with psycopg.connect(admin_url) as conn:
        with conn.cursor() as cur:
            with cur.copy(f"COPY purchase_orders ({PO_COLUMNS}) FROM STDIN") as copy:
                ids = []
                for n in range(count):
                    k = n % len(clients)
                    po_id = uuid.uuid4()
                    created = now - timedelta(seconds=rng.randint(0, 365 * 86400))
                    if target is None and clients[k] == target_client:
                        target, created = po_id, now  # the newest: first on the list page too
                    ids.append((po_id, clients[k], 5 if po_id == target else lines_each))
                    copy.write_row(
                        (po_id, clients[k], provider_id, f"C{k:03d}-{n // len(clients) + 1:06d}",
                         engagements[k], suppliers[clients[k]], "EUR", rng.choice(STATUSES), 0, 1,
                         Decimal("962.50") * (1 + n % 7), 0, 1, "30 days net", "DAP", "Dock 1",
                         created, created, created, created)
                    )  # fmt: skip
            with cur.copy(f"COPY po_lines ({LINE_COLUMNS}) FROM STDIN") as copy:
                for po_id, client, lines in ids:
                    for line_no in range(1, lines + 1):
                        copy.write_row(
                            (uuid.uuid4(), client, provider_id, po_id, line_no, uuid.uuid4(),
                             uuid.uuid4(), uuid.uuid4(), f"BR-{line_no}00",
                             f"Bracket {line_no}, zinc plated", Decimal(250), "each",
                             Decimal("3.85"), '[{"date": "2027-03-01", "quantity": "250"}]',
                             '[{"document_number": "SPEC-1", "revision_no": 2}]', Decimal(0),
                             Decimal(0), False, now)
                        )  # fmt: skip
        conn.commit()
    elapsed = time.perf_counter() - started
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE suppliers")
        conn.execute("VACUUM ANALYZE purchase_orders")
        conn.execute("VACUUM ANALYZE po_lines")
    return target, elapsed


def check_order_answers(real_item: dict, bare_item: dict, real_page: dict, bare_page: dict) -> None:
    """Both servers read the same order and the same first page."""
    assert len(real_item["lines"]) == 5, len(real_item["lines"])
    assert real_item["number"] == bare_item["number"]
    assert [line["line_total"] for line in real_item["lines"]] == [
        line["line_total"] for line in bare_item["lines"]
    ]
    assert len(real_page["items"]) == 50, len(real_page["items"])
    assert [i["id"] for i in real_page["items"]] == [i["id"] for i in bare_page["items"]], (
        "the bare order list's first page differs from Baton's"
    )
