"""``flask seed-demo``: the handoff story a new user finds after ``make run``,
written once, with intact audit chains, and never twice."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from baton.platform.db import db, utcnow
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.procurement.demo.history import PLANS
from baton.sourcing.documents.models import Document, DocumentRevision
from baton.sourcing.requirements import services as requirements
from baton.sourcing.requirements.models import Requirement
from baton.sourcing.suppliers.models import Supplier
from baton.tenants.models import Organisation, User


@pytest.fixture
def fresh_app(tmp_path):
    """An instance of its own: the demo's organisation names are fixed."""
    from baton.platform.app import create_app
    from baton.platform.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'baton.sqlite3'}"
    upgrade(url)
    app = create_app(
        {
            "instance_path": tmp_path / "instance",
            "database_url": url,
            "service_database_url": url,
            "migration_database_url": url,
            "TESTING": True,
        }
    )
    yield app
    with app.app_context():
        db.dispose()


# Requirements (each ordered once) of the demo's SLA history, after the story's 16 and 10.
HISTORY = sum(len(month) for month in PLANS)


def seed(app) -> str:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result.output


def row_counts(app) -> dict[str, int]:
    with app.app_context():
        engine = db.service_engine
        with engine.connect() as conn:
            return {
                name: conn.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar()
                for name in sa.inspect(engine).get_table_names()
            }


def files_under(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def by_reference(session, tenant_id) -> dict[str, Requirement]:
    rows = session.scalars(sa.select(Requirement).where(Requirement.tenant_id == tenant_id))
    return {r.client_reference: r for r in rows}


def test_a_fresh_instance_gets_the_whole_story(fresh_app):
    output = seed(fresh_app)
    assert "Demo data created." in output
    assert "sourcing@acme.example — fix the returned requirement ACME-REQ-1043" in output

    with fresh_app.app_context():
        session = db.new_service_session(SERVICE_CONTEXT)
        try:
            orgs = {o.name: o for o in session.scalars(sa.select(Organisation))}
            acme, globex = orgs["Acme Robotics"].id, orgs["Globex Energy"].id
            today = utcnow().date()

            suppliers = {
                s.code: s
                for s in session.scalars(sa.select(Supplier).where(Supplier.tenant_id == acme))
            }
            assert {s.currency for s in suppliers.values()} == {"EUR", "USD"}
            assert suppliers["KES-1001"].is_usable(today)
            assert suppliers["BLM-2040"].qualification_status == "conditional"
            assert today < suppliers["BLM-2040"].qualified_until <= today + timedelta(days=30)
            lapsed = suppliers["NCH-0310"].qualified_until
            last_month = today.replace(day=1) - timedelta(days=1)
            assert suppliers["NCH-0310"].qualification_lapsed(today)
            assert (lapsed.year, lapsed.month) == (last_month.year, last_month.month)
            assert suppliers["FER-0077"].qualification_status == "suspended"
            assert (
                session.scalar(
                    sa.select(sa.func.count())
                    .select_from(Supplier)
                    .where(Supplier.tenant_id == globex)
                )
                == 2
            )

            # The housing specification has two revisions, both stored as uploaded.
            housing = session.scalar(
                sa.select(Document).where(
                    Document.tenant_id == acme, Document.number == "SPEC-AH200"
                )
            )
            revisions = list(
                session.scalars(
                    sa.select(DocumentRevision)
                    .where(DocumentRevision.document_id == housing.id)
                    .order_by(DocumentRevision.revision_no)
                )
            )
            assert [r.revision_no for r in revisions] == [1, 2]
            assert {r.content_type for r in revisions} == {"application/pdf"}
            folder = fresh_app.config["BATON_SETTINGS"].instance_path / "documents"
            for rev in revisions:
                stored = (folder / rev.storage_key).read_bytes()
                assert stored.startswith(b"%PDF-1.4") and stored.rstrip().endswith(b"%%EOF")
                assert hashlib.sha256(stored).hexdigest() == rev.sha256

            reqs = by_reference(session, acme)
            handoffs = {ref: r.status for ref, r in reqs.items() if ref < "ACME-REQ-1050"}
            assert handoffs == {
                "ACME-REQ-1041": "accepted",
                "ACME-REQ-1042": "submitted",
                "ACME-REQ-1043": "returned",
                "ACME-REQ-1044": "in_review",
                "ACME-REQ-1045": "draft",
            }
            draft = requirements.live_readiness(session, reqs["ACME-REQ-1045"])
            assert {f.field for f in draft.hard_failures} >= {
                "supplier_id",
                "quote_valid_until",
                "ship_to",
                "lines[2].unit_price",
            }
            returned = requirements.open_return(session, reqs["ACME-REQ-1043"])
            assert [(r["code"], r["field"]) for r in returned.reasons] == [
                ("supplier_not_qualified", "supplier_id"),
                ("missing_specification", "lines[1].specs"),
            ]
            # Accepted after a return and a second handoff bought to revision 2.
            accepted = requirements.snapshots_of(session, reqs["ACME-REQ-1041"])
            assert [s.version for s in accepted] == [2, 1]
            spec = accepted[0].payload["lines"][0]["specs"][0]
            assert (spec["document_number"], spec["revision_no"]) == ("SPEC-AH200", 2)
            # Waiting in Northwind's queue, unclaimed and due within hours; one overdue.
            now = utcnow()
            waiting = reqs["ACME-REQ-1042"]
            assert waiting.assigned_buyer_id is None
            assert now < waiting.sla_due_at.replace(tzinfo=now.tzinfo) <= now + timedelta(hours=5)
            overdue = reqs["ACME-REQ-1044"]
            assert overdue.sla_due_at.replace(tzinfo=now.tzinfo) < now
            assert session.get(User, overdue.assigned_buyer_id).email == "buyer1@northwind.example"

            assert {ref: r.status for ref, r in by_reference(session, globex).items()} == {
                "GLBX-REQ-2001": "submitted"
            }
            # Purchase orders in every state a buyer meets, numbered per client.
            from baton.procurement.orders.models import PurchaseOrder

            orders = {
                po.number: po
                for po in session.scalars(
                    sa.select(PurchaseOrder).where(PurchaseOrder.tenant_id == acme)
                )
            }
            # The SLA history (procurement/demo/history.py) numbers its orders after these.
            story = {n: po for n, po in orders.items() if n <= "ACME-000010"}
            assert {n: po.status for n, po in story.items()} == {
                "ACME-000001": "pending_approval",
                "ACME-000002": "pending_approval",
                "ACME-000003": "draft",
                "ACME-000004": "released",
                "ACME-000005": "acknowledged",
                "ACME-000006": "partially_received",
                "ACME-000007": "received",
                "ACME-000008": "closed",
                "ACME-000009": "released",
                "ACME-000010": "released",
            }
            assert orders["ACME-000002"].required_approvals == 2
            # An engineering change after release, and a change order awaiting
            # the supplier's acknowledgement of revision 1.
            from baton.procurement.orders.queries import WITH_LINES

            flagged = session.scalar(
                sa.select(PurchaseOrder)
                .where(PurchaseOrder.tenant_id == acme, PurchaseOrder.number == "ACME-000009")
                .options(*WITH_LINES)
            )
            assert flagged.lines[0].spec_outdated
            assert orders["ACME-000010"].revision == 1
            assert reqs["ACME-REQ-1057"].status == "closed"
            assert reqs["ACME-REQ-1053"].status == "ordered"
            # Northwind's targets on both clients: the examples, with credits.
            from baton.tenants.models import Engagement
            from baton.tenants.sla_targets import targets_of

            for engagement in session.scalars(sa.select(Engagement)):
                targets = targets_of(engagement)
                assert (targets["handoff_to_release"].percent, targets["otif"].percent) == (95, 92)
                assert targets["handoff_to_release"].within_hours == 16
                assert (engagement.monthly_fee, engagement.fee_currency) == (12000, "EUR")
                assert targets["acknowledgement"].credit_percent == 2
        finally:
            session.close()

    verify = fresh_app.test_cli_runner().invoke(args=["audit-verify"])
    assert verify.exit_code == 0, verify.output
    # Three organisations and the platform's own chain (plans belong to nobody).
    assert "4 organisations verified" in verify.output
    # The notification jobs ran: Acme's sourcing heard about both returns.
    mail = fresh_app.config["BATON_SETTINGS"].instance_path / "mail"
    returns = [p.read_bytes() for p in mail.glob("*.eml")]
    returns = [m for m in returns if b"Returned by Northwind" in m]
    assert sum(b"ACME-REQ-1041" in m or b"ACME-REQ-1043" in m for m in returns) == 2


def test_seeding_again_changes_nothing(fresh_app):
    seed(fresh_app)
    instance = fresh_app.config["BATON_SETTINGS"].instance_path
    counts, files = row_counts(fresh_app), files_under(instance / "documents")
    mails = files_under(instance / "mail")

    assert "Demo data already present; kept as is." in seed(fresh_app)
    assert row_counts(fresh_app) == counts
    assert files_under(instance / "documents") == files
    assert files_under(instance / "mail") == mails
    assert counts["requirements"] == 16 + HISTORY and counts["suppliers"] == 6
    assert counts["purchase_orders"] == 10 + HISTORY


def test_an_older_seed_gets_the_handoff_data_once(fresh_app):
    from baton.tenants.demo import seed_organisations

    with fresh_app.app_context():
        assert seed_organisations() is True
    before = row_counts(fresh_app)
    assert before["requirements"] == 0

    assert "their suppliers, documents and requirements were added" in seed(fresh_app)
    after = row_counts(fresh_app)
    assert after["users"] == before["users"] and after["organisations"] == 3
    assert after["requirements"] == 16 + HISTORY
    assert after["purchase_orders"] == 10 + HISTORY

    assert "already present" in seed(fresh_app)
    assert row_counts(fresh_app) == after
