"""The clients' half of the demo story: Acme's and Globex's suppliers,
specifications and requirements, in every state a handoff can be in."""

from __future__ import annotations

from datetime import timedelta

from baton.platform import demo_files
from baton.procurement.demo.people import (
    ACME,
    ACME_SHIP_TO,
    GLOBEX,
    GLOBEX_SHIP_TO,
    StoryPeople,
    _money,
)


class ClientsStory(StoryPeople):
    def acme_suppliers(self) -> None:
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
                    # As the record stood at the handoff; nordic_cable_lapses corrects it.
                    "qualified_until": self.days(150),
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
            # A conditional supplier whose qualification ends before the need-by
            # date: Sam has weighed both warnings (see the assumptions).
            accept_warnings=True,
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
                        # Sam did not flag the harness as built to a spec; Ben knows it is.
                        "spec_required": False,
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

    def nordic_cable_lapses(self) -> None:
        """After ACME-REQ-1043 went out, the certification body's notice says
        Nordic Cable's qualification ran out last month: Sam corrects the record,
        and the packet the provider reviews now fails on its supplier."""
        from baton.sourcing.suppliers import services as suppliers

        last_month = self.today.replace(day=1) - timedelta(days=10)
        with self.acting("sourcing@acme.example") as (org_id, _user_id):
            suppliers.update_supplier(
                self.session, org_id, self.suppliers["NCH-0310"], {"qualified_until": last_month}
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
