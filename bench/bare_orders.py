"""The bare app's purchase-order reads, next to Baton's ``/api/v1/purchase-orders``.

    GET /purchase-orders/<id>                 one order with its lines and the
                                              supplier's name (3 SELECTs)
    GET /purchase-orders?provider_id=<id>     the provider's 50 newest orders (1 SELECT)

The same fields as Baton's answers, written the way a small app would, with no
authentication and no tenancy.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from bare_app import PAGE_SIZE, TZ, Base, Supplier
from flask import Flask, abort, jsonify, request
from marshmallow import Schema, fields
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload


class PurchaseOrder(Base):
    __tablename__ = "purchase_orders"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    provider_id: Mapped[uuid.UUID]
    number: Mapped[str]
    revision: Mapped[int]
    version: Mapped[int]
    status: Mapped[str]
    supplier_id: Mapped[uuid.UUID]
    currency: Mapped[str]
    total: Mapped[Decimal]
    payment_terms: Mapped[str | None]
    incoterms: Mapped[str | None]
    ship_to: Mapped[str | None]
    notes: Mapped[str | None]
    required_approvals: Mapped[int]
    submitted_at: Mapped[datetime | None] = mapped_column(TZ)
    released_at: Mapped[datetime | None] = mapped_column(TZ)
    acknowledged_at: Mapped[datetime | None] = mapped_column(TZ)
    created_at: Mapped[datetime] = mapped_column(TZ)
    lines: Mapped[list[POLine]] = relationship(
        primaryjoin="and_(POLine.po_id == PurchaseOrder.id,"
        " POLine.tenant_id == PurchaseOrder.tenant_id)",
        foreign_keys="[POLine.po_id, POLine.tenant_id]",
        order_by="POLine.line_no",
    )


class POLine(Base):
    __tablename__ = "po_lines"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    po_id: Mapped[uuid.UUID]
    line_no: Mapped[int]
    item_code: Mapped[str | None]
    description: Mapped[str]
    quantity: Mapped[Decimal]
    unit: Mapped[str]
    unit_price: Mapped[Decimal]
    schedule: Mapped[list] = mapped_column(sa.JSON)
    specs: Mapped[list] = mapped_column(sa.JSON)
    promised_date: Mapped[date | None]
    received_quantity: Mapped[Decimal]
    rejected_quantity: Mapped[Decimal]
    requirement_id: Mapped[uuid.UUID]
    snapshot_id: Mapped[uuid.UUID]


class OrderLineSchema(Schema):
    line_no = fields.Integer()
    item_code = fields.String(allow_none=True)
    description = fields.String()
    quantity = fields.Decimal(as_string=True)
    unit = fields.String()
    unit_price = fields.Decimal(as_string=True)
    line_total = fields.Function(lambda line: f"{line.quantity * line.unit_price:.2f}")
    schedule = fields.Raw()
    specs = fields.Raw()
    promised_date = fields.Date(allow_none=True)
    received_quantity = fields.Decimal(as_string=True)
    rejected_quantity = fields.Decimal(as_string=True)
    requirement_id = fields.UUID()
    snapshot_id = fields.UUID()


class OrderSchema(Schema):
    id = fields.UUID()
    number = fields.String()
    revision = fields.Integer()
    version = fields.Integer()
    status = fields.String()
    client_id = fields.UUID(attribute="tenant_id")
    provider_id = fields.UUID()
    supplier_id = fields.UUID()
    supplier_name = fields.String(allow_none=True)
    currency = fields.String()
    total = fields.Decimal(as_string=True, places=2)
    payment_terms = fields.String(allow_none=True)
    incoterms = fields.String(allow_none=True)
    ship_to = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    required_approvals = fields.Integer()
    submitted_at = fields.DateTime(allow_none=True)
    released_at = fields.DateTime(allow_none=True)
    acknowledged_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(OrderLineSchema))


class OrderItemSchema(Schema):
    id = fields.UUID()
    number = fields.String()
    status = fields.String()
    client_id = fields.UUID(attribute="tenant_id")
    currency = fields.String()
    total = fields.Decimal(as_string=True, places=2)
    created_at = fields.DateTime()


order_schema = OrderSchema()
item_schema = OrderItemSchema(many=True)


def add_routes(app: Flask, engine: sa.Engine) -> None:
    @app.get("/purchase-orders/<uuid:po_id>")
    def purchase_order(po_id: uuid.UUID):
        with Session(engine) as session:
            po = session.scalar(
                sa.select(PurchaseOrder)
                .where(PurchaseOrder.id == po_id)
                .options(selectinload(PurchaseOrder.lines))
            )
            if po is None:
                abort(404)
            supplier = session.get(Supplier, po.supplier_id)
            body = order_schema.dump(po) | {"supplier_name": supplier.name if supplier else None}
            return jsonify(body), 200, {"ETag": f'"{po.version}"'}

    @app.get("/purchase-orders")
    def purchase_orders():
        try:
            provider_id = uuid.UUID(request.args["provider_id"])
        except (KeyError, ValueError):
            abort(400)
        with Session(engine) as session:
            rows = list(
                session.scalars(
                    sa.select(PurchaseOrder)
                    .where(PurchaseOrder.provider_id == provider_id)
                    .order_by(PurchaseOrder.created_at.desc(), PurchaseOrder.id.desc())
                    .limit(PAGE_SIZE + 1)
                )
            )
            return jsonify(
                {
                    "page": 1,
                    "has_next": len(rows) > PAGE_SIZE,
                    "items": item_schema.dump(rows[:PAGE_SIZE]),
                }
            )
