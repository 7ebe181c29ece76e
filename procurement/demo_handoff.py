"""The demo's handoff story: suppliers, specifications and requirements in every state.

Everything is made through the real services, acting as the demo people in
their own organisation's tenant context, as their requests would: audit
events carry their names, submissions freeze snapshots, uploads go to the
configured document store (``instance/documents/`` in the embedded mode) and
notification emails are sent by the jobs once the data is committed. Dates
are relative to today, so the demo reads the same whenever it is seeded.

The story is one transaction: if any step fails nothing is kept (stored files
are removed again) and the next ``seed-demo`` tries afresh. It is written only
while neither demo client has any supplier, document or requirement, so it
never mixes with data someone entered by hand.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from baton.platform import audit, demo_files, storage
from baton.platform.db import db, set_context, utcnow
from baton.platform.request_context import Actor, acting_as
from baton.platform.tenancy import SERVICE_CONTEXT
from baton.procurement.handoff import review

ACME, GLOBEX, NORTHWIND = "Acme Robotics", "Globex Energy", "Northwind Procurement Services"
ACME_SHIP_TO = "Acme Robotics, Plant 2, Goods-in dock 4\nLerchenauer Str. 40\n80809 München, DE"
GLOBEX_SHIP_TO = "Globex Energy, Substation North\nHavnevej 12\n6700 Esbjerg, DK"
# A handoff seeded a minute ago would fall due 48 hours from now, like every
# other; these two are moved so that the queue looks like a working day's.
DUE_SOON = timedelta(hours=4)
OVERDUE_BY = timedelta(hours=3)


def seed_handoff() -> bool:
    """Write the story unless either demo client already has handoff data."""
    from baton.tenants.models import Organisation

    check = db.new_service_session(SERVICE_CONTEXT)
    try:
        orgs = {
            org.name: org
            for org in check.scalars(
                sa.select(Organisation).where(Organisation.name.in_((ACME, GLOBEX, NORTHWIND)))
            )
        }
        if len(orgs) < 3 or _has_handoff_data(check, [orgs[ACME].id, orgs[GLOBEX].id]):
            return False
    finally:
        check.close()
    session = db.new_session()
    try:
        story = _Story(session)
        story.tell()
        outbox_ids = session.info.pop("outbox_ids", [])
        session.commit()
    finally:
        session.close()
    if outbox_ids:
        from baton.platform.web import dispatch_after_commit

        # As after a request: the notification emails go once the rows are committed.
        dispatch_after_commit(outbox_ids)
    return True


def _has_handoff_data(session: Session, tenant_ids: list[uuid.UUID]) -> bool:
    from baton.sourcing.documents.models import Document
    from baton.sourcing.requirements.models import Requirement
    from baton.sourcing.suppliers.models import Supplier

    return any(
        session.scalar(sa.select(model.id).where(model.tenant_id.in_(tenant_ids)).limit(1))
        for model in (Supplier, Document, Requirement)
    )


def _money(text: str) -> Decimal:
    return Decimal(text)


class _Story:
    """One session; each step acts as one demo person in their organisation."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.today: date = utcnow().date()
        self.store = storage.get_store()
        self.max_bytes: int = current_app.config["BATON_SETTINGS"].max_upload_bytes
        self.suppliers: dict[str, uuid.UUID] = {}
        self.revisions: dict[str, uuid.UUID] = {}
        self.requirements: dict[str, uuid.UUID] = {}

    # --- who acts ------------------------------------------------------------------------

    @contextmanager
    def acting(self, email: str) -> Iterator[tuple[uuid.UUID, uuid.UUID]]:
        """As ``email`` in the one organisation the demo gives them: (org id, user id)."""
        from baton.tenants.models import Membership, Organisation
        from baton.tenants.services import context_for, find_user

        user = find_user(self.session, email)
        org = self.session.scalar(
            sa.select(Organisation)
            .join(Membership, Membership.organisation_id == Organisation.id)
            .where(Membership.user_id == user.id, Membership.is_active.is_(True))
        )
        set_context(self.session, context_for(self.session, org, user.id))
        with acting_as(Actor("user", str(user.id), user.email)):
            yield org.id, user.id

    def engagement_id(self, client: str) -> uuid.UUID:
        from baton.tenants.models import Engagement, Organisation

        client_org = sa.select(Organisation.id).where(Organisation.name == client)
        provider_org = sa.select(Organisation.id).where(Organisation.name == NORTHWIND)
        return self.session.scalar(
            sa.select(Engagement.id).where(
                Engagement.client_id == client_org.scalar_subquery(),
                Engagement.provider_id == provider_org.scalar_subquery(),
            )
        )

    def days(self, n: int) -> date:
        return self.today + timedelta(days=n)

    # --- the story ------------------------------------------------------------------------

    def tell(self) -> None:
        self.acme_suppliers()
        self.acme_documents()
        self.acme_requirements()
        self.globex()
        self.northwind_reviews()
        self.acme_follow_up()
        self.northwind_accepts()
        self.working_day_clock()

    def add_suppliers(self, email: str, rows: list[dict[str, Any]]) -> None:
        from baton.sourcing.suppliers import services as suppliers

        with self.acting(email) as (org_id, user_id):
            for row in rows:
                supplier = suppliers.create_supplier(
                    self.session, org_id, row, created_by_id=user_id
                )
                self.suppliers[supplier.code] = supplier.id

    def upload(
        self,
        org_id: uuid.UUID,
        user_id: uuid.UUID,
        *,
        number: str,
        title: str,
        filename: str,
        data: bytes,
        note: str,
    ) -> None:
        from baton.sourcing.documents import services as documents

        revision = documents.create_document(
            self.session,
            self.store,
            org_id,
            kind="specification",
            title=title,
            number=number,
            stream=io.BytesIO(data),
            filename=filename,
            max_bytes=self.max_bytes,
            note=note,
            uploaded_by_id=user_id,
        )
        self.revisions[f"{number}@1"] = revision.id

    def draft(self, email: str, data: dict[str, Any], *, submit: bool = True) -> uuid.UUID:
        from baton.sourcing.requirements import services as requirements

        with self.acting(email) as (org_id, user_id):
            req = requirements.save_draft(self.session, org_id, user_id, data)
            if submit:
                requirements.submit(self.session, org_id, user_id, req.id)
        self.requirements[req.client_reference] = req.id
        return req.id

    def acme_suppliers(self) -> None:
        last_month = self.today.replace(day=1) - timedelta(days=10)
        self.add_suppliers(
            "sourcing@acme.example",
            [
                {
                    "name": "Kessler Präzisionsteile GmbH",
                    "code": "KES-1001",
                    "contact_name": "Jonas Weber",
                    "contact_email": "jonas.weber@kessler-praezision.example",
                    "contact_phone": "+49 711 555 0142",
                    "address": "Industriestraße 14\n70565 Stuttgart",
                    "country": "DE",
                    "currency": "EUR",
                    "payment_terms": "Net 30",
                    "incoterms": "DAP",
                    "categories": ["Machining", "Aluminium housings"],
                    "qualification_status": "qualified",
                    "qualified_until": self.days(300),
                    "notes": "Audited on site; ISO 9001 and IATF 16949 certified.",
                },
                {
                    "name": "Brightline Motion Inc.",
                    "code": "BLM-2040",
                    "contact_name": "Dana Ortiz",
                    "contact_email": "orders@brightline-motion.example",
                    "contact_phone": "+1 512 555 0199",
                    "address": "4100 Riverside Drive\nAustin, TX 78741",
                    "country": "US",
                    "currency": "USD",
                    "payment_terms": "Net 45",
                    "incoterms": "FCA",
                    "categories": ["Servo drives", "Motors"],
                    "qualification_status": "conditional",
                    "qualified_until": self.days(21),
                    "notes": "Conditional until the ISO 9001 surveillance audit closes two minor findings.",
                },
                {
                    "name": "Nordic Cable & Harness AB",
                    "code": "NCH-0310",
                    "contact_name": "Erik Lund",
                    "contact_email": "erik.lund@nordic-cable.example",
                    "address": "Kabelvägen 3\n582 73 Linköping",
                    "country": "SE",
                    "currency": "EUR",
                    "payment_terms": "Net 30",
                    "incoterms": "CPT",
                    "categories": ["Cable assemblies", "Wiring harnesses"],
                    "qualification_status": "qualified",
                    "qualified_until": last_month,
                    "notes": "Requalification questionnaire sent; waiting for the renewed IPC/WHMA-A-620 certificate.",
                },
                {
                    "name": "Ferro Fasteners S.p.A.",
                    "code": "FER-0077",
                    "contact_name": "Giulia Conti",
                    "contact_email": "vendite@ferro-fasteners.example",
                    "address": "Via dell'Industria 22\n25030 Brescia",
                    "country": "IT",
                    "currency": "EUR",
                    "payment_terms": "60 days end of month",
                    "incoterms": "EXW",
                    "categories": ["Fasteners"],
                    "qualification_status": "suspended",
                    "qualified_until": self.days(120),
                    "notes": "Suspended after a hardness nonconformity (NCR-2291); corrective action under review.",
                },
            ],
        )

    def acme_documents(self) -> None:
        with self.acting("sourcing@acme.example") as (org_id, user_id):
            self.upload(
                org_id,
                user_id,
                number="SPEC-AH200",
                title="Cobot arm housing AH-200, machining specification",
                filename="SPEC-AH200_rev1.pdf",
                data=demo_files.housing_spec(1),
                note="First release.",
            )
            self.upload(
                org_id,
                user_id,
                number="SPEC-WH7",
                title="Wiring harness WH-7, base unit",
                filename="SPEC-WH7_rev1.pdf",
                data=demo_files.harness_spec(),
                note="First release.",
            )
            self.upload(
                org_id,
                user_id,
                number="SPEC-SD400",
                title="Servo drive SD-400, parameter sheet",
                filename="SD-400_parameters.csv",
                data=demo_files.servo_parameters(),
                note="Parameters agreed with Brightline's application engineer.",
            )

    def acme_requirements(self) -> None:
        engagement = self.engagement_id(ACME)
        common = {
            "engagement_id": engagement,
            "ship_to": ACME_SHIP_TO,
            "payment_terms": "Net 30",
        }
        sourcing = "sourcing@acme.example"
        self.draft(
            sourcing,
            {
                **common,
                "client_reference": "ACME-REQ-1041",
                "title": "Cobot arm housings AH-200, batch 3",
                "supplier_id": self.suppliers["KES-1001"],
                "currency": "EUR",
                "incoterms": "DAP",
                "quote_reference": "KES-Q-24-118",
                "quote_valid_until": self.days(60),
                "priority": "high",
                "sourcing_notes": "Awarded after a three-way RFQ; Kessler was 8 % below the next bid.",
                "assumptions": "Price holds for 120 units per call-off and returnable crates.",
                "lines": [
                    {
                        "item_code": "AH-200",
                        "description": "Housing AH-200, machined and hard anodised",
                        "quantity": _money("120"),
                        "unit": "each",
                        "unit_price": _money("84.50"),
                        "need_by": self.days(45),
                        "spec_required": True,
                        "spec_revision_ids": [self.revisions["SPEC-AH200@1"]],
                    },
                    {
                        "item_code": "AH-200-C",
                        "description": "Cover plate AH-200-C",
                        "quantity": _money("120"),
                        "unit": "each",
                        "unit_price": _money("12.80"),
                        "need_by": self.days(45),
                        "spec_required": False,
                        "spec_revision_ids": [],
                    },
                ],
            },
        )
        self.draft(
            sourcing,
            {
                **common,
                "client_reference": "ACME-REQ-1042",
                "title": "Servo drives SD-400 for gripper line 2",
                "supplier_id": self.suppliers["BLM-2040"],
                "currency": "USD",
                "payment_terms": "Net 45",
                "incoterms": "FCA",
                "quote_reference": "BLM-QT-5512",
                "quote_valid_until": self.days(30),
                "priority": "urgent",
                "sourcing_notes": "Single source: the only drive certified with our gripper firmware.",
                "assumptions": "Conditional supplier: the first 4 drives are inspected at goods-in before the rest ship.",
                "lines": [
                    {
                        "item_code": "SD-400",
                        "description": "Servo drive SD-400, 400 W, EtherCAT",
                        "quantity": _money("16"),
                        "unit": "each",
                        "unit_price": _money("612.00"),
                        "need_by": self.days(35),
                        "spec_required": True,
                        "spec_revision_ids": [self.revisions["SPEC-SD400@1"]],
                    },
                    {
                        "item_code": "MC-5M",
                        "description": "Motor cable, 5 m, M23 connectors",
                        "quantity": _money("16"),
                        "unit": "each",
                        "unit_price": _money("38.50"),
                        "need_by": self.days(35),
                        "spec_required": False,
                        "spec_revision_ids": [],
                    },
                ],
            },
        )
        self.draft(
            sourcing,
            {
                **common,
                "client_reference": "ACME-REQ-1043",
                "title": "Wiring harness WH-7 for the base unit",
                "supplier_id": self.suppliers["NCH-0310"],
                "currency": "EUR",
                "incoterms": "CPT",
                "quote_reference": "NCH-2024-311",
                "quote_valid_until": self.days(40),
                "priority": "normal",
                "sourcing_notes": "Incumbent supplier; price unchanged from last year.",
                "lines": [
                    {
                        "item_code": "WH-7",
                        "description": "Wiring harness WH-7, base unit",
                        "quantity": _money("200"),
                        "unit": "each",
                        "unit_price": _money("46.20"),
                        "need_by": self.days(50),
                        "spec_required": True,
                        "spec_revision_ids": [],
                    }
                ],
            },
        )
        self.draft(
            sourcing,
            {
                **common,
                "client_reference": "ACME-REQ-1044",
                "title": "Linear guide rails LG-30 for the gantry",
                "supplier_id": self.suppliers["KES-1001"],
                "currency": "EUR",
                "incoterms": "DAP",
                "quote_reference": "KES-Q-24-131",
                "quote_valid_until": self.days(25),
                "priority": "normal",
                "lines": [
                    {
                        "item_code": "LG-30-1200",
                        "description": "Linear guide rail LG-30, 1200 mm",
                        "quantity": _money("24"),
                        "unit": "each",
                        "unit_price": _money("156.00"),
                        "need_by": self.days(28),
                        "spec_required": False,
                        "spec_revision_ids": [],
                    },
                    {
                        "item_code": "LG-30-B",
                        "description": "Carriage block LG-30",
                        "quantity": _money("48"),
                        "unit": "each",
                        "unit_price": _money("41.70"),
                        "need_by": self.days(28),
                        "spec_required": False,
                        "spec_revision_ids": [],
                    },
                ],
            },
        )
        # Still being written: the readiness panel lists what is missing.
        self.draft(
            sourcing,
            {
                "engagement_id": engagement,
                "client_reference": "ACME-REQ-1045",
                "title": "Fasteners for the gripper assembly",
                "supplier_id": self.suppliers["FER-0077"],
                "currency": "EUR",
                "incoterms": "EXW",
                "quote_reference": "FF-OFF-0932",
                "priority": "low",
                "lines": [
                    {
                        "item_code": "SHCS-M5X16",
                        "description": "Socket head cap screw M5 x 16, A4-70",
                        "quantity": _money("2000"),
                        "unit": "each",
                        "unit_price": _money("0.09"),
                        "need_by": self.days(10),
                        "spec_required": False,
                        "spec_revision_ids": [],
                    },
                    {
                        "item_code": "HN-M5",
                        "description": "Hex nut M5, A4",
                        "quantity": _money("2000"),
                        "unit": "each",
                        "unit_price": None,
                        "need_by": self.days(10),
                        "spec_required": False,
                        "spec_revision_ids": [],
                    },
                ],
            },
            submit=False,
        )

    def globex(self) -> None:
        self.add_suppliers(
            "sourcing@globex.example",
            [
                {
                    "name": "Hansen Transformer Components A/S",
                    "code": "HTC-501",
                    "contact_name": "Mette Hansen",
                    "contact_email": "sales@hansen-tc.example",
                    "address": "Industrivej 8\n7100 Vejle",
                    "country": "DK",
                    "currency": "EUR",
                    "payment_terms": "Net 30",
                    "incoterms": "DDP",
                    "categories": ["Bushings", "Transformer parts"],
                    "qualification_status": "qualified",
                    "qualified_until": self.days(200),
                },
                {
                    "name": "Lone Star Switchgear LLC",
                    "code": "LSS-220",
                    "contact_name": "Ray Castillo",
                    "contact_email": "ray.castillo@lonestar-switchgear.example",
                    "address": "900 Commerce Street\nFort Worth, TX 76102",
                    "country": "US",
                    "currency": "USD",
                    "payment_terms": "Net 60",
                    "incoterms": "FCA",
                    "categories": ["Switchgear"],
                    "qualification_status": "conditional",
                    "qualified_until": self.days(90),
                    "notes": "Conditional: first-article test at our lab still open.",
                },
            ],
        )
        with self.acting("sourcing@globex.example") as (org_id, user_id):
            self.upload(
                org_id,
                user_id,
                number="SPEC-TB36",
                title="Transformer bushing 36 kV, technical specification",
                filename="SPEC-TB36_rev1.txt",
                data=demo_files.bushing_spec(),
                note="First release.",
            )
        self.draft(
            "sourcing@globex.example",
            {
                "client_reference": "GLBX-REQ-2001",
                "title": "36 kV transformer bushings for Substation North",
                "engagement_id": self.engagement_id(GLOBEX),
                "supplier_id": self.suppliers["HTC-501"],
                "currency": "EUR",
                "payment_terms": "Net 30",
                "incoterms": "DDP",
                "quote_reference": "HTC-Q-8841",
                "quote_valid_until": self.days(45),
                "ship_to": GLOBEX_SHIP_TO,
                "priority": "high",
                "sourcing_notes": "Framework price from the 2-year agreement with Hansen.",
                "lines": [
                    {
                        "item_code": "TB-36-1250",
                        "description": "Transformer bushing 36 kV / 1250 A",
                        "quantity": _money("6"),
                        "unit": "each",
                        "unit_price": _money("4180.00"),
                        "need_by": self.days(70),
                        "spec_required": True,
                        "spec_revision_ids": [self.revisions["SPEC-TB36@1"]],
                    }
                ],
            },
        )

    def northwind_reviews(self) -> None:
        from baton.sourcing.suppliers.models import Supplier

        refs = self.requirements
        with self.acting("buyer1@northwind.example") as (provider_id, user_id):
            for ref in ("ACME-REQ-1041", "ACME-REQ-1044"):
                review.claim(self.session, provider_id, user_id, refs[ref])
                review.open_review(self.session, provider_id, user_id, refs[ref])
            review.return_requirement(
                self.session,
                provider_id,
                user_id,
                refs["ACME-REQ-1041"],
                [
                    {
                        "code": "missing_specification",
                        "field": "lines[1].specs",
                        "comment": "SPEC-AH200 revision 2 (3.5 mm wall) is released; the packet still points at revision 1.",
                    }
                ],
                "Everything else is ready; send it back with revision 2 and we order this week.",
            )
        with self.acting("buyer2@northwind.example") as (provider_id, user_id):
            ref = refs["ACME-REQ-1043"]
            review.claim(self.session, provider_id, user_id, ref)
            review.open_review(self.session, provider_id, user_id, ref)
            lapsed = self.session.get(Supplier, self.suppliers["NCH-0310"]).qualified_until
            review.return_requirement(
                self.session,
                provider_id,
                user_id,
                ref,
                [
                    {
                        "code": "supplier_not_qualified",
                        "field": "supplier_id",
                        "comment": f"Nordic Cable's qualification lapsed on {lapsed.isoformat()}. Renew it or award another supplier.",
                    },
                    {
                        "code": "missing_specification",
                        "field": "lines[1].specs",
                        "comment": "WH-7 must be built to SPEC-WH7; attach revision 1.",
                    },
                ],
                "Price, quantity and date are fine; we pick it up as soon as it is back.",
            )

    def acme_follow_up(self) -> None:
        """Sourcing releases revision 2 of the housing spec and hands the housings off again."""
        from baton.sourcing.documents import services as documents
        from baton.sourcing.requirements import services as requirements

        with self.acting("sourcing@acme.example") as (org_id, user_id):
            housing = documents.get_revision(
                self.session, org_id, self.revisions["SPEC-AH200@1"]
            ).document_id
            revision = documents.add_revision(
                self.session,
                self.store,
                org_id,
                housing,
                stream=io.BytesIO(demo_files.housing_spec(2)),
                filename="SPEC-AH200_rev2.pdf",
                max_bytes=self.max_bytes,
                note="Wall thickness 3.0 -> 3.5 mm after the FEA review; nothing else changed.",
                uploaded_by_id=user_id,
            )
            rid = self.requirements["ACME-REQ-1041"]
            req = requirements.get_for_client(self.session, org_id, rid)
            data = requirements.input_of(req)
            data["lines"][0]["spec_revision_ids"] = [revision.id]
            requirements.save_draft(self.session, org_id, user_id, data, rid)
            requirements.submit(self.session, org_id, user_id, rid)

    def northwind_accepts(self) -> None:

        with self.acting("buyer1@northwind.example") as (provider_id, user_id):
            rid = self.requirements["ACME-REQ-1041"]
            review.open_review(self.session, provider_id, user_id, rid)
            review.accept(
                self.session,
                provider_id,
                user_id,
                rid,
                "Ready to order: PO to Kessler this week against revision 2.",
            )

    def working_day_clock(self) -> None:
        """Put one handoff due later today and one overdue, as on a normal day.

        Seeded in one go, every handoff would fall due 48 hours from now. The
        moves are audited like any change, under the demo's own name.
        """
        from baton.procurement.handoff.queue import day_bounds
        from baton.sourcing.requirements.models import Requirement
        from baton.tenants.models import Organisation

        provider = self.session.scalar(
            sa.select(Organisation).where(Organisation.name == NORTHWIND)
        )
        now = utcnow()
        _start, end = day_bounds(provider.timezone, now)
        due_soon = min(now + DUE_SOON, end - timedelta(minutes=15))
        if due_soon <= now + timedelta(minutes=5):  # seeded in the day's last minutes
            due_soon = now + DUE_SOON
        moves = {"ACME-REQ-1042": due_soon, "ACME-REQ-1044": now - OVERDUE_BY}
        with self.acting("sourcing@acme.example"), acting_as(Actor("system", None, "demo seed")):
            for ref, due in moves.items():
                req = self.session.get(Requirement, self.requirements[ref])
                before = req.sla_due_at
                req.sla_due_at = due
                self.session.flush([req])
                audit.record(
                    self.session,
                    tenant_id=req.tenant_id,
                    provider_id=req.provider_id,
                    action="requirement.sla_due_moved",
                    entity_type="requirement",
                    entity_id=req.id,
                    changes={
                        "sla_due_at": [audit.jsonable(before), audit.jsonable(due)],
                        "reason": [None, "demo data: a working day's queue"],
                    },
                )
