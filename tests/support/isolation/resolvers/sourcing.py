"""Resolvers for rows of baton.sourcing: suppliers, documents and their
revisions, requirements and their handoff snapshots."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

from tests.support.isolation.victim import Victim, parameter


@parameter("supplier_id")
def _supplier(v: Victim) -> uuid.UUID:
    from baton.sourcing.suppliers import services as suppliers

    supplier = suppliers.create_supplier(
        v.session,
        v.org_id,
        {
            "name": f"Supplier {v.tag}",
            "code": f"S-{v.tag.upper()}",
            "currency": "EUR",
            "contact_email": f"orders.{v.tag}@supplier.example",
        },
    )
    v.mark(supplier.name, supplier.contact_email)
    return supplier.id


def _upload(v: Victim, **kwargs):
    from baton.platform.storage import get_store
    from baton.sourcing.documents import services as documents

    content = f"%PDF-1.4 specification {v.tag}".encode()
    return dict(
        store=get_store(),
        stream=io.BytesIO(content),
        filename=f"spec-{v.tag}.pdf",
        max_bytes=1_000_000,
        **kwargs,
    ), documents


@parameter("document_id")
def _document(v: Victim) -> uuid.UUID:
    # Client reference data (no provider_id): acme writes it, north reads it.
    args, documents = _upload(v, kind="specification", title=f"Specification {v.tag}")
    revision = documents.create_document(v.session, tenant_id=v.org_id, **args)
    v.mark(args["title"], args["filename"])
    return revision.document_id


@parameter("revision_id")
def _revision(v: Victim) -> uuid.UUID:
    args, documents = _upload(v, note=f"Change note {v.tag}")
    revision = documents.add_revision(
        v.session, tenant_id=v.org_id, document_id=uuid.UUID(v.id("document_id")), **args
    )
    v.mark(args["note"])
    return revision.id


@parameter("requirement_id")
def _requirement(v: Victim) -> uuid.UUID:
    """Submitted, so it is in the provider's queue: both sides can open it."""
    from datetime import date
    from decimal import Decimal

    from baton.sourcing.requirements import services as requirements

    data = {
        "client_reference": f"REQ-{v.tag}",
        "title": f"Requirement {v.tag}",
        "engagement_id": uuid.UUID(v.id("engagement_id")),
        "supplier_id": uuid.UUID(v.id("supplier_id")),
        "currency": "EUR",
        # Ready to hand off: a packet with hard failures is never submitted.
        "quote_reference": f"Q-{v.tag}",
        "quote_valid_until": date.today() + timedelta(days=60),
        "ship_to": f"Dock {v.tag}",
        "sourcing_notes": f"Sourcing note {v.tag}",
        "priority": "normal",
        "lines": [
            {
                "item_code": f"ITEM-{v.tag}",
                "description": f"Bracket {v.tag}",
                "quantity": Decimal("5"),
                "unit": "pcs",
                "unit_price": Decimal("12.50"),
                "need_by": date.today() + timedelta(days=30),
                "spec_revision_ids": [uuid.UUID(v.id("revision_id"))],
            }
        ],
    }
    requirement = requirements.save_draft(v.session, v.org_id, None, data)
    requirements.submit(v.session, v.org_id, None, requirement.id, notify=False)
    v.mark(data["title"], data["client_reference"], data["sourcing_notes"])
    return requirement.id


@parameter("snapshot_id")
def _handoff_snapshot(v: Victim) -> uuid.UUID:
    from baton.sourcing.requirements.models import Requirement

    return v.session.get(Requirement, uuid.UUID(v.id("requirement_id"))).current_snapshot_id
