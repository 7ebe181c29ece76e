"""Suppliers for integrations (a client ERP keeps the list in step)."""

from __future__ import annotations

import uuid

from flask_smorest import Blueprint

from baton.platform.api import token_required
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

blp = Blueprint("api_suppliers", __name__, description="The client's suppliers")


@blp.get("/suppliers")
@token_required(kind="client")
@blp.arguments(SupplierQuerySchema, location="query")
@blp.response(200, SupplierPageSchema)
def list_suppliers(args):
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
        per_page=args["per_page"],
    )
    return {"items": page.items, "total": page.total, "page": page.page, "pages": page.pages}


@blp.post("/suppliers")
@token_required(kind="client", permission="supplier.write")
@blp.arguments(SupplierInSchema)
@blp.response(201, SupplierSchema)
def create_supplier(data):
    return services.create_supplier(dbs(), identity().organisation.id, data)


@blp.get("/suppliers/<uuid:supplier_id>")
@token_required(kind="client")
@blp.response(200, SupplierSchema)
def get_supplier(supplier_id: uuid.UUID):
    return services.get_supplier(dbs(), identity().organisation.id, supplier_id)


@blp.patch("/suppliers/<uuid:supplier_id>")
@token_required(kind="client", permission="supplier.write")
@blp.arguments(SupplierPatchSchema(partial=True))
@blp.response(200, SupplierSchema)
def update_supplier(data, supplier_id: uuid.UUID):
    return services.update_supplier(dbs(), identity().organisation.id, supplier_id, data)
