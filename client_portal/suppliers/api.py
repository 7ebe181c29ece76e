"""Suppliers for integrations (a client ERP keeps the list in step)."""

from __future__ import annotations

import uuid

from baton.platform.api import PAGE_SIZE, ApiBlueprint, token_required
from baton.platform.auth import identity
from baton.platform.web import dbs
from baton.sourcing.suppliers import services
from baton.sourcing.suppliers.schemas import (
    SupplierInSchema,
    SupplierPageSchema,
    SupplierPatchSchema,
    SupplierQuerySchema,
    SupplierSchema,
)

blp = ApiBlueprint(
    "api_suppliers",
    __name__,
    description="The client's suppliers",
    ids={"supplier_id": "the supplier's id, from GET /api/v1/suppliers"},
)


@blp.get("/suppliers")
@token_required(kind="client")
@blp.arguments(SupplierQuerySchema, location="query")
@blp.response(200, SupplierPageSchema)
def list_suppliers(args):
    """The client's suppliers by name, 50 a page."""
    page = services.list_suppliers(
        dbs(),
        identity().organisation.id,
        services.SupplierFilters(
            q=args.get("q"),
            status=args.get("status"),
            category=args.get("category"),
            lapsed=args.get("lapsed"),
        ),
        page=args["page"],
        per_page=PAGE_SIZE,
    )
    return {"page": page.page, "has_next": page.page < page.pages, "items": page.items}


@blp.post("/suppliers")
@token_required(kind="client", permission="supplier.write")
@blp.arguments(SupplierInSchema)
@blp.response(201, SupplierSchema)
def create_supplier(data):
    """Add a supplier; name, code and currency are required."""
    return services.create_supplier(dbs(), identity().organisation.id, data)


@blp.get("/suppliers/<uuid:supplier_id>")
@token_required(kind="client")
@blp.response(200, SupplierSchema)
def get_supplier(supplier_id: uuid.UUID):
    """One supplier, with its qualification in words."""
    return services.get_supplier(dbs(), identity().organisation.id, supplier_id)


@blp.patch("/suppliers/<uuid:supplier_id>")
@token_required(kind="client", permission="supplier.write")
@blp.arguments(SupplierPatchSchema(partial=True))
@blp.response(200, SupplierSchema)
def update_supplier(data, supplier_id: uuid.UUID):
    """Change the fields sent; each change is audited."""
    return services.update_supplier(dbs(), identity().organisation.id, supplier_id, data)
